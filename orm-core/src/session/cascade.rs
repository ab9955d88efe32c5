//! What deleting a row does to the rows around it.
//!
//! - `cascade = "delete"` on a one-to-many or one-to-one: the targets are
//!   deleted first, and theirs, level by level (self-referential trees
//!   too): per level one SELECT of the targets' keys and one DELETE of
//!   them, deepest level first, in one transaction.
//! - Many-to-many: the association rows of every deleted row go with it,
//!   as SQLAlchemy deletes a secondary table's rows.
//! - `on_delete = "cascade"` / `"set null"` on a many-to-one: the database
//!   does it (`create_all` declares the foreign key so); the session
//!   expires what it holds of the entities whose rows it changed.
//! - Otherwise a delete the database refuses because rows still point at
//!   the row is a foreign-key [`Error::Database`] naming the relation.

use std::any::TypeId;
use std::collections::HashSet;

use super::Session;
use crate::sql::{delete_where_keys, keys_per_statement, select_where_keys, EntityStatements};
use crate::{Entity, EntityMeta, Error, RelationKind, Result, Value};

/// Rows of one table that a delete removes.
struct Doomed {
    meta: &'static EntityMeta,
    /// The entity's type, for the identity map (`None` for the root, which
    /// the caller follows by its key).
    entity: Option<TypeId>,
    keys: Vec<Vec<Value>>,
}

impl Session {
    /// Deletes the row with key `key` and what its cascades reach.
    pub(super) fn delete_row<E: Entity>(&mut self, key: &E::Key) -> Result<()> {
        let mut root = Vec::with_capacity(E::META.primary_key.len());
        E::key_values(key, &mut root);
        if !reaches_other_rows(E::META) {
            let sql = &EntityStatements::of(E::META, self.engine.dialect).delete;
            return match self.execute(sql, &root) {
                Ok(0) => Err(Error::NotFound {
                    table: E::META.table,
                }),
                Ok(_) => Ok(()),
                Err(error) => Err(self.name_refusing_relation(E::META, &root, error)),
            };
        }
        let result = self.atomic(|s| {
            let levels = s.doomed_rows(E::META, root.clone())?;
            // Deepest first: every row goes before the rows it points at.
            for (depth, level) in levels.iter().enumerate().rev() {
                let deleted = s.delete_level(level)?;
                if depth == 0 && deleted == 0 {
                    return Err(Error::NotFound {
                        table: E::META.table,
                    });
                }
            }
            Ok(levels)
        });
        let levels = match result {
            Ok(levels) => levels,
            Err(error) => return Err(self.name_refusing_relation(E::META, &root, error)),
        };
        // Which objects the cascade took is not followed one by one: what
        // the session holds of those entities expires.
        for entity in levels.iter().filter_map(|l| l.entity) {
            self.engine.identity.expire_entity(entity);
        }
        for relation in levels.iter().flat_map(|l| l.meta.relations) {
            if let Some(secondary) = relation.secondary {
                self.engine.identity.expire_association(secondary);
            }
        }
        Ok(())
    }

    /// The rows deleting `root` of `meta` removes, level by level: the
    /// root, then the targets of its `cascade = "delete"` relations, and
    /// theirs. A row reached twice is deleted once.
    fn doomed_rows(&mut self, meta: &'static EntityMeta, root: Vec<Value>) -> Result<Vec<Doomed>> {
        let mut seen: HashSet<(&'static str, String)> = HashSet::new();
        seen.insert((meta.table, format!("{root:?}")));
        let mut levels = vec![Doomed {
            meta,
            entity: None,
            keys: vec![root],
        }];
        let mut next = 0;
        while next < levels.len() {
            let (parent, keys) = (levels[next].meta, levels[next].keys.clone());
            next += 1;
            for relation in parent.relations.iter().filter(|r| r.cascade_delete) {
                let target = relation.target_meta();
                let key_names = target.key_names();
                let mut found = Vec::new();
                let per_statement =
                    keys_per_statement(self.engine.dialect, keys.len(), relation.foreign_key.len());
                for chunk in keys.chunks(per_statement) {
                    let mut params = Vec::new();
                    let sql = select_where_keys(
                        self.engine.dialect,
                        target.table,
                        &key_names,
                        relation.foreign_key,
                        chunk,
                        &mut params,
                    );
                    self.engine.stream(&sql, &params, &mut |_, row| {
                        let key = (0..key_names.len())
                            .map(|i| row.value(i).map(|v| v.to_owned_value()))
                            .collect::<Result<Vec<Value>>>()?;
                        if seen.insert((target.table, format!("{key:?}"))) {
                            found.push(key);
                        }
                        Ok(())
                    })?;
                }
                if !found.is_empty() {
                    levels.push(Doomed {
                        meta: target,
                        entity: Some((relation.target_type)()),
                        keys: found,
                    });
                }
            }
        }
        Ok(levels)
    }

    /// Deletes the association rows of `level`'s rows, then the rows;
    /// answers how many rows went.
    fn delete_level(&mut self, level: &Doomed) -> Result<u64> {
        let dialect = self.engine.dialect;
        let key_names = level.meta.key_names();
        let mut deleted = 0;
        let per_statement = keys_per_statement(dialect, level.keys.len(), key_names.len());
        for chunk in level.keys.chunks(per_statement) {
            for relation in level.meta.relations {
                if let Some(secondary) = relation.secondary {
                    let mut params = Vec::new();
                    let sql = delete_where_keys(
                        dialect,
                        secondary,
                        relation.foreign_key,
                        chunk,
                        &mut params,
                    );
                    self.execute(&sql, &params)?;
                }
            }
            let mut params = Vec::new();
            let sql = delete_where_keys(dialect, level.meta.table, &key_names, chunk, &mut params);
            deleted += self.execute(&sql, &params)?;
        }
        Ok(deleted)
    }

    /// A foreign-key violation of a delete, with the relation whose rows
    /// still point at the row: the one-to-many or one-to-one of `meta`
    /// without a cascade whose target table the engine named (PostgreSQL),
    /// else the only such relation, else the first that holds rows for
    /// `key` (asked of the database, on SQLite). Other errors pass as they
    /// are.
    fn name_refusing_relation(
        &mut self,
        meta: &'static EntityMeta,
        key: &[Value],
        error: Error,
    ) -> Error {
        let Error::Database(database) = error else {
            return error;
        };
        if database.kind() != crate::DatabaseErrorKind::ForeignKeyViolation {
            return Error::Database(database);
        }
        let candidates: Vec<&'static crate::RelationMeta> = meta
            .relations
            .iter()
            .copied()
            .filter(|r| {
                matches!(r.kind, RelationKind::OneToMany | RelationKind::OneToOne)
                    && r.secondary.is_none()
                    && !r.cascade_delete
            })
            .collect();
        let named = database
            .table()
            .and_then(|table| candidates.iter().find(|r| r.target_meta().table == table));
        let found = match (named, candidates.as_slice()) {
            (Some(relation), _) => Some(*relation),
            (None, [only]) => Some(*only),
            (None, _) if !self.engine.transaction.is_failed() => {
                candidates.iter().copied().find(|r| {
                    let target = r.target_meta();
                    let mut params = Vec::new();
                    let sql = select_where_keys(
                        self.engine.dialect,
                        target.table,
                        &target.key_names()[..1],
                        r.foreign_key,
                        &[key.to_vec()],
                        &mut params,
                    );
                    let mut any = false;
                    let probe = self.engine.stream(&sql, &params, &mut |_, _| {
                        any = true;
                        Ok(())
                    });
                    probe.is_ok() && any
                })
            }
            (None, _) => None,
        };
        let Some(relation) = found else {
            return Error::Database(database);
        };
        let target = relation.target_meta();
        Error::Database(database.with_relation(relation.path()).with_hint(format!(
            "{} rows still point at this {} through {}: delete or unlink them first, \
                     or map the relation with cascade = \"delete\"",
            target.table,
            meta.name,
            relation.path()
        )))
    }
}

/// Whether deleting a row of `meta` writes more than its own row: a
/// relation with `cascade = "delete"` or an association table.
fn reaches_other_rows(meta: &EntityMeta) -> bool {
    meta.relations
        .iter()
        .any(|r| r.cascade_delete || r.secondary.is_some())
}
