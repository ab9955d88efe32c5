//! Setting a relation's loaded value by hand, as SQLAlchemy's
//! `set_committed_value` does (SQLAlchemy-bulk-lazy-loader is built on it):
//! for a custom loader that fetched related rows itself. The value is taken
//! as what the database holds; the session checks that every object in it
//! is its own, so a relation can never hold another session's rows.

use crate::Handle;

use super::Session;
use crate::relation::{Fill, Many, One, Relation, FILL};
use crate::{Entity, Error, Result};

impl Session {
    /// Sets `relation` of `parent` to `targets`, loaded, replacing what it
    /// held. [`Error::ForeignObject`] when `parent` or a target is not this
    /// session's (loaded by another, expunged, or never registered).
    pub fn set_committed_many<P: Entity, T: Entity>(
        &mut self,
        relation: Relation<P, T, Many<T>>,
        parent: &P,
        targets: Vec<Handle<T>>,
    ) -> Result<()> {
        self.check_owner(parent, false)?;
        for target in &targets {
            self.check_registered(target)?;
        }
        let field = relation.field(parent);
        field.clear(FILL);
        field.store(FILL, targets);
        Ok(())
    }

    /// Sets the to-one `relation` of `parent` to `target` (`None`: absent),
    /// loaded, replacing what it held; checked as
    /// [`set_committed_many`](Session::set_committed_many).
    pub fn set_committed_one<P: Entity, T: Entity>(
        &mut self,
        relation: Relation<P, T, One<T>>,
        parent: &P,
        target: Option<Handle<T>>,
    ) -> Result<()> {
        self.check_owner(parent, false)?;
        if let Some(target) = &target {
            self.check_registered(target)?;
        }
        let field = relation.field(parent);
        field.clear(FILL);
        field.store_one(FILL, target);
        Ok(())
    }

    /// Refuses an object that is not this session's: by its owner mark, or,
    /// for an entity without relations (which carries none), by being the
    /// identity map's instance for its key.
    fn check_registered<T: Entity>(&self, object: &Handle<T>) -> Result<()> {
        if T::relations().iter().any(|r| r.owner_of(object).is_some()) {
            return self.check_owner(&**object, false);
        }
        match self.engine.identity.get::<T>(&object.key()) {
            Some(held) if Handle::ptr_eq(&held, object) => Ok(()),
            _ => Err(Error::ForeignObject {
                entity: T::META.name,
            }),
        }
    }
}
