//! Freshness: expiring what the session holds so the next access reads the
//! database again.
//!
//! Objects are immutable snapshots (`Handle<E>`), so nothing is re-read into a
//! handle you hold. Expiring an object makes the session forget it: the next
//! `get` sends SQL, and the next query that returns its row builds a new
//! instance that replaces it in the identity map. A handle you kept still
//! reads the values (and relations) it had; read it again through the
//! session for the current row.

use crate::Handle;
use std::any::TypeId;

use super::Session;
use crate::hash::FastSet;
use crate::options::OptionNode;
use crate::{Entity, EntityMeta, Error, Result};

impl Session {
    /// Expires one object: the session forgets it, so the next `get` of its
    /// key reads the row again and the next query returning it builds a new
    /// instance (SQLAlchemy's `Session.expire`).
    pub fn expire<E: Entity>(&mut self, object: &E) {
        self.engine.identity.remove_instance(object);
    }

    /// Expires every object the session holds (SQLAlchemy's
    /// `Session.expire_all`). It runs after every commit unless
    /// [`set_expire_on_commit(false)`](Session::set_expire_on_commit).
    pub fn expire_all(&mut self) {
        self.engine.identity.clear();
        self.engine.lazy_options.clear();
    }

    /// Reads the row of `object` again now and returns the new instance,
    /// which replaces it in the identity map; [`Error::NotFound`] when the
    /// row is gone (and the session forgets it).
    pub fn refresh<E: Entity>(&mut self, object: &E) -> Result<Handle<E>> {
        self.expire(object);
        let key = object.key();
        match self.get::<E>(key)? {
            Some(fresh) => Ok(fresh),
            None => Err(Error::NotFound {
                table: E::META.table,
            }),
        }
    }

    /// Whether a successful commit expires every object (the default, as
    /// SQLAlchemy's `expire_on_commit`): after a commit, other connections
    /// may change any row, so the session reads again instead of serving
    /// what it held. Turn it off for a session that alone writes its data.
    pub fn set_expire_on_commit(&mut self, expire: bool) {
        self.expire_on_commit = expire;
    }

    /// Called after the outermost COMMIT succeeded.
    pub(crate) fn committed(&mut self) {
        if self.expire_on_commit {
            self.expire_all();
        }
    }

    /// Expires every object of the types a query of `root` can load through
    /// eager relations (by mapping or by the option paths `options`), for
    /// `populate_existing`.
    pub(crate) fn expire_reachable(
        &mut self,
        root: &'static EntityMeta,
        root_type: TypeId,
        options: &[OptionNode],
    ) {
        // Mapping defaults are walked once per type (they may loop);
        // option paths are finite trees and walked whole.
        let mut walked: FastSet<TypeId> = FastSet::default();
        let mut pending: Vec<(TypeId, &'static EntityMeta, &[OptionNode])> =
            vec![(root_type, root, options)];
        while let Some((entity, meta, options)) = pending.pop() {
            self.engine.identity.clear_type(entity);
            let first_visit = walked.insert(entity);
            for relation in meta.relations {
                let option = crate::options::find_option(options, relation);
                if option.is_some() || (first_visit && relation.lazy.is_eager()) {
                    pending.push((
                        (relation.target_type)(),
                        (relation.target_meta)(),
                        option.map_or(&[][..], |o| &o.children[..]),
                    ));
                }
            }
        }
    }
}
