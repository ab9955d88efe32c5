//! `serde::Serialize` for entities (feature `serde`): a map of the column
//! fields by name, each as the value it is stored as (so any
//! [`ColumnType`] serializes, with no `Serialize` bound of its own: a
//! `bool` as a boolean, integers and floats as numbers, text as a string,
//! bytes as bytes, NULL as `null`), then each loaded relation (a list for a `Many`, the
//! target or `null` for a `One`); an unloaded relation is left out, and a
//! `Dynamic` one (a query) always is. An object met again inside its own
//! serialization (a loaded relation leading back to it) writes its columns
//! only, so a graph with back references ends.

use std::cell::RefCell;

use serde::{Serialize, Serializer};

use crate::relation::{Many, One};
use crate::schema::Record;
use crate::{ColumnType, SqlType, Value};

/// A column field, serialized as the value it is stored as.
#[doc(hidden)]
pub struct AsStored<'a, T>(pub &'a T);

impl<T: ColumnType> Serialize for AsStored<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match (T::SQL_TYPE, self.0.to_value()) {
            (_, Value::Null) => serializer.serialize_none(),
            (SqlType::Boolean, Value::Integer(i)) => serializer.serialize_bool(i != 0),
            (_, Value::Integer(i)) => serializer.serialize_i64(i),
            (_, Value::Real(r)) => serializer.serialize_f64(r),
            (_, Value::Text(text)) => serializer.serialize_str(&text),
            (_, Value::Blob(bytes)) => serializer.serialize_bytes(&bytes),
            (_, Value::List(_)) => Err(serde::ser::Error::custom("a column value is never a list")),
        }
    }
}

thread_local! {
    /// The objects being serialized on this thread, outermost first.
    static PATH: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// An object's place on the path of the serialization in progress.
#[doc(hidden)]
pub struct SerdeVisit {
    entered: bool,
}

impl SerdeVisit {
    /// Enters `object`; [`first`](Self::first) tells whether it was not on
    /// the path already (then its relations are written).
    pub fn enter<T>(object: &T) -> SerdeVisit {
        let address = std::ptr::from_ref(object) as usize;
        let entered = PATH.with(|path| {
            let mut path = path.borrow_mut();
            if path.contains(&address) {
                false
            } else {
                path.push(address);
                true
            }
        });
        SerdeVisit { entered }
    }

    pub fn first(&self) -> bool {
        self.entered
    }
}

impl Drop for SerdeVisit {
    fn drop(&mut self) {
        if self.entered {
            PATH.with(|path| {
                path.borrow_mut().pop();
            });
        }
    }
}

/// A handle serializes as its object, as `Arc` does with serde's `rc`.
impl<T: Serialize> Serialize for crate::Handle<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

/// A loaded `Many` is the list of its targets.
impl<T: Record + Serialize> Serialize for Many<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let targets = self.get().map_err(serde::ser::Error::custom)?;
        serializer.collect_seq(targets.iter().map(|t| &**t))
    }
}

/// A loaded `One` is its target, or `null`.
impl<T: Record + Serialize> Serialize for One<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.get().map_err(serde::ser::Error::custom)? {
            Some(target) => target.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }
}

/// The `Serialize` impl of an entity, written by the derive.
#[doc(hidden)]
#[macro_export]
macro_rules! __entity_serde {
    ($ty:ty; $($column:literal => $field:ident),*; $($relation:literal => $rel:ident),*) => {
        impl $crate::__private::serde::Serialize for $ty {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                use $crate::__private::serde::ser::SerializeMap as _;
                let visit = $crate::__private::SerdeVisit::enter(self);
                let mut map = serializer.serialize_map(::core::option::Option::None)?;
                $(map.serialize_entry($column, &$crate::__private::AsStored(&self.$field))?;)*
                if visit.first() {
                    $(
                        if self.$rel.is_loaded() {
                            map.serialize_entry($relation, &self.$rel)?;
                        }
                    )*
                }
                map.end()
            }
        }
    };
}
