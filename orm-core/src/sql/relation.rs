//! The statements of one relation, rendered once per dialect from the
//! metadata of both ends; at run time only key lists are sized.

use std::borrow::Cow;

use super::entity::{key_columns, push_columns};
use super::filter::render_filter_at;
use super::join::{wrap_with_joins, JoinBuilder};
use super::qualified;
use super::{Cache, Dialect, Sql};
use crate::options::Narrowing;
use crate::schema::{RelationKind, RelationMeta};
use crate::EntityMeta;
use crate::Value;

/// How many keys the list of one keyed statement holds: a number (what a
/// load sends), or any number (the template `explain` shows: the list
/// written for one key and elided after it, `IN (?, …)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyCount {
    Exactly(usize),
    Any,
}

/// The statements of one relation in one dialect. `head` ends just before
/// the key list, `tail` closes it and orders the rows.
pub(crate) struct RelationStatements {
    dialect: &'static dyn Dialect,
    /// `SELECT <target columns> FROM ... WHERE <link> IN (` (simple form).
    head: String,
    /// `)` and ORDER BY, for the simple form.
    tail: String,
    /// Inner query of the joined form: target rows plus link columns.
    inner_head: String,
    /// ORDER BY terms of the collection, on the wrapped target alias `t0`.
    pub(crate) outer_order: String,
    /// How many link columns follow the target's columns (many-to-many).
    pub(crate) link_width: usize,
    /// How many values one key binds.
    key_width: usize,
    /// The statement for exactly one key, the shape of every lazy `select`.
    single: String,
    /// Where the dialect binds a key list as one array parameter and a key
    /// is one column: the simple form for any number of keys
    /// (`... WHERE "author_id" = ANY($1) ORDER BY ...`).
    array: Option<String>,
    /// The joined form's inner statement for any number of keys, likewise.
    inner_array: Option<String>,
    /// The joined form's inner statement up to its WHERE, plain and with
    /// its rows numbered per parent (`ROW_NUMBER() OVER (PARTITION BY
    /// <link> ...) AS "__rank"`), for a filtered or limited load.
    inner_select_head: String,
    ranked_select_head: String,
    /// `<link> IN (` and the link column an array binds to.
    matcher: String,
    array_column: Option<String>,
    /// The alias the target's columns have in those statements.
    target_alias: &'static str,
}

static STATEMENTS: Cache<RelationStatements> = Cache::new();

impl RelationStatements {
    /// The statements of `relation` in `dialect`, rendered on first use.
    pub(crate) fn of(
        relation: &'static RelationMeta,
        dialect: &'static dyn Dialect,
    ) -> &'static Self {
        STATEMENTS.get(relation, dialect, || {
            RelationStatements::render(relation, dialect)
        })
    }

    fn render(relation: &RelationMeta, dialect: &'static dyn Dialect) -> Self {
        let target = (relation.target_meta)();
        let target_table = qualified("", target.table);
        let tuple = |cols: &[String]| -> String {
            if cols.len() == 1 {
                cols[0].clone()
            } else {
                format!("({})", cols.join(", "))
            }
        };
        let in_open = |width: usize| {
            if width == 1 {
                " IN ("
            } else {
                dialect.row_list_open()
            }
        };
        let order_clause = |terms: Vec<String>| -> String {
            if terms.is_empty() {
                String::new()
            } else {
                format!(" ORDER BY {}", terms.join(", "))
            }
        };
        let target_columns = |alias: &str| {
            let mut sql = Sql::new(dialect);
            push_columns(&mut sql, alias, target);
            sql.finish()
        };

        // Each form: the statement up to its WHERE, and the link columns.
        let rank = |partition: &[String], alias: &str| {
            let mut order = order_terms(relation, alias);
            if order.is_empty() {
                order = key_columns(alias, target);
            }
            format!(
                "ROW_NUMBER() OVER (PARTITION BY {} ORDER BY {}) AS \"__rank\"",
                partition.join(", "),
                order.join(", ")
            )
        };
        let (select_head, inner_select_head, ranked_select_head, matched, link_width, simple_order) =
            match relation.kind {
                // The target's own columns hold the link: its key for a
                // many-to-one, its foreign key otherwise.
                RelationKind::ManyToOne | RelationKind::OneToMany | RelationKind::OneToOne => {
                    let matched = if relation.kind == RelationKind::ManyToOne {
                        key_columns("", target)
                    } else {
                        relation
                            .foreign_key
                            .iter()
                            .map(|c| qualified("", c))
                            .collect()
                    };
                    (
                        format!("SELECT {} FROM {target_table} WHERE ", target_columns("")),
                        format!("SELECT * FROM {target_table} WHERE "),
                        format!(
                            "SELECT *, {} FROM {target_table} WHERE ",
                            rank(&matched, "")
                        ),
                        matched,
                        0,
                        order_terms(relation, ""),
                    )
                }
                RelationKind::ManyToMany => {
                    let secondary = qualified("", relation.secondary.unwrap_or(""));
                    let on = key_columns("t", target)
                        .iter()
                        .zip(relation.target_foreign_key)
                        .map(|(k, f)| format!("{k} = {}", qualified("s", f)))
                        .collect::<Vec<_>>()
                        .join(" AND ");
                    let link: Vec<String> = relation
                        .foreign_key
                        .iter()
                        .map(|c| qualified("s", c))
                        .collect();
                    let width = link.len();
                    let from =
                        format!("FROM {target_table} AS t JOIN {secondary} AS s ON {on} WHERE ");
                    let aliased_links = link
                        .iter()
                        .enumerate()
                        .map(|(i, l)| format!("{l} AS \"__link{i}\""))
                        .collect::<Vec<_>>()
                        .join(", ");
                    (
                        format!("SELECT {}, {} {from}", target_columns("t"), link.join(", ")),
                        format!("SELECT t.*, {aliased_links} {from}"),
                        format!("SELECT t.*, {aliased_links}, {} {from}", rank(&link, "t")),
                        link,
                        width,
                        order_terms(relation, "t"),
                    )
                }
            };
        let key_width = matched.len();
        let matcher = format!("{}{}", tuple(&matched), in_open(key_width));
        let head = format!("{select_head}{matcher}");
        let inner_head = format!("{inner_select_head}{matcher}");
        let matcher = matcher.to_owned();
        let order = order_clause(simple_order);
        let tail = format!("){order}");
        let as_array = |select_head: &str, order: &str| {
            let mut sql = Sql::new(dialect);
            sql.push(select_head);
            dialect.push_key_array(&mut sql, &matched[0]);
            sql.push(order);
            sql.finish()
        };
        let arrays = dialect.key_lists_as_array() && key_width == 1;
        let array = arrays.then(|| as_array(&select_head, &order));
        let inner_array = arrays.then(|| as_array(&inner_select_head, ""));

        let mut single = Sql::new(dialect);
        single.push(&head);
        single.key_params(1, key_width);
        single.push(&tail);
        RelationStatements {
            dialect,
            head,
            tail,
            inner_head,
            outer_order: order_terms(relation, "t0").join(", "),
            link_width,
            key_width,
            single: single.finish(),
            array,
            inner_array,
            inner_select_head,
            ranked_select_head,
            array_column: arrays.then(|| matched[0].clone()),
            matcher,
            target_alias: if link_width > 0 { "t" } else { "" },
        }
    }

    /// The joined form's inner statement keeping only the rows `narrowing`
    /// keeps, for `keys` keys (one array parameter when `array`): its
    /// filter before the key list (its values pushed to `params`, which
    /// the keys follow), then at most `per_parent` rows per parent.
    fn narrowed_inner(
        &self,
        keys: KeyCount,
        array: bool,
        narrowing: &Narrowing,
        params: &mut Vec<Value>,
    ) -> String {
        let mut sql = Sql::new(self.dialect);
        if narrowing.per_parent.is_some() {
            sql.push("SELECT * FROM (");
            sql.push(&self.ranked_select_head);
        } else {
            sql.push(&self.inner_select_head);
        }
        if let Some(criteria) = &narrowing.criteria {
            sql.push("(");
            render_filter_at(criteria, self.target_alias, &mut sql, params);
            sql.push(") AND ");
        }
        match self.array_column.as_deref().filter(|_| array) {
            Some(column) => self.dialect.push_key_array(&mut sql, column),
            None => {
                sql.push(&self.matcher);
                match keys {
                    KeyCount::Exactly(n) => sql.key_params(n, self.key_width),
                    KeyCount::Any => {
                        sql.key_params(1, self.key_width);
                        sql.push(", …");
                    }
                }
                sql.push(")");
            }
        }
        if let Some(limit) = narrowing.per_parent {
            sql.push(") AS \"ranked\" WHERE \"__rank\" <= ");
            sql.push(&limit.to_string());
        }
        sql.finish()
    }

    /// Whether [`for_all_keys`](Self::for_all_keys) has a statement: the
    /// dialect binds key lists as one array and a key is one column.
    /// Composite keys keep their row-value lists, in chunks.
    pub(crate) fn binds_key_array(&self) -> bool {
        self.array.is_some()
    }

    /// The simple-form statement for any number of keys, bound as one
    /// [`Value::List`](crate::Value::List) parameter; `None` unless
    /// [`binds_key_array`](Self::binds_key_array).
    pub(crate) fn for_all_keys(&self) -> Option<&str> {
        self.array.as_deref()
    }

    /// The joined form's inner statement for any number of keys, bound as
    /// one list (as [`for_all_keys`](Self::for_all_keys)).
    pub(crate) fn inner_for_all_keys(&self) -> Option<&str> {
        self.inner_array.as_deref()
    }

    /// The simple-form statement for `keys` keys.
    pub(crate) fn for_keys(&self, keys: usize) -> std::borrow::Cow<'_, str> {
        if keys == 1 {
            return std::borrow::Cow::Borrowed(&self.single);
        }
        let mut sql = Sql::with_capacity(
            self.dialect,
            self.head.len() + self.tail.len() + keys * 3 * self.key_width,
        );
        sql.push(&self.head);
        sql.key_params(keys, self.key_width);
        sql.push(&self.tail);
        std::borrow::Cow::Owned(sql.finish())
    }

    /// The joined form's inner statement for `keys` keys: target rows (and
    /// the link columns as `__link0`...) that a join tree wraps as `t0`.
    pub(crate) fn inner_for_keys(&self, keys: usize) -> String {
        let mut sql = Sql::new(self.dialect);
        sql.push(&self.inner_head);
        sql.key_params(keys, self.key_width);
        sql.push(")");
        sql.finish()
    }

    /// How many keys one statement of `relation` takes: `None` when the
    /// dialect binds every key as one array and the mapping asked for no
    /// chunks, so each level costs one statement.
    pub(crate) fn chunk_size(&self, relation: &RelationMeta) -> Option<usize> {
        let whole = self.binds_key_array() && !relation.chunk_size_explicit;
        (!whole).then(|| relation.chunk_size.max(1))
    }

    /// Stand-ins (NULLs) for the values `keys` keys bind, one array or one
    /// per key column: what `explain` passes where a load passes the keys,
    /// so the filters after them are numbered as the load numbers them.
    pub(crate) fn key_placeholders(&self, keys: KeyCount) -> Vec<Value> {
        let count = match keys {
            _ if self.binds_array_for(keys) => 1,
            KeyCount::Exactly(n) => n * self.key_width,
            KeyCount::Any => self.key_width,
        };
        vec![Value::Null; count]
    }

    /// Whether a statement for `keys` keys binds them as one array
    /// parameter: a single key keeps the one-key form.
    pub(crate) fn binds_array_for(&self, keys: KeyCount) -> bool {
        self.binds_key_array() && keys != KeyCount::Exactly(1)
    }

    /// The statement loading the relation for `keys` keys, wrapped around
    /// by the target's (`target`) joined relations when `joins` holds any:
    /// the one text both the `IN` loader and `explain` write.
    ///
    /// `params` holds the keys' values; a filter of `narrowing` puts its
    /// values before them (it comes before the key list), the joins' after.
    pub(crate) fn keyed(
        &'static self,
        target: &EntityMeta,
        joins: Option<&JoinBuilder>,
        keys: KeyCount,
        narrowing: &Narrowing,
        params: &mut Vec<Value>,
    ) -> Cow<'static, str> {
        let array = self.binds_array_for(keys);
        if narrowing.is_partial() {
            // Narrowed inside, so the joins below see only the kept rows.
            let mut narrowed = Vec::new();
            let inner = self.narrowed_inner(keys, array, narrowing, &mut narrowed);
            narrowed.append(params);
            *params = narrowed;
            let order: Vec<String> = [self.outer_order.clone()]
                .into_iter()
                .filter(|o| !o.is_empty())
                .collect();
            let none = JoinBuilder::starting_at(self.dialect, 0);
            return Cow::Owned(wrap_with_joins(
                target,
                &inner,
                &self.outer_links(),
                joins.unwrap_or(&none),
                &order,
                params,
            ));
        }
        let Some(builder) = joins else {
            return match self.for_all_keys().filter(|_| array) {
                Some(sql) => Cow::Borrowed(sql),
                None => self.list_form(false, keys),
            };
        };
        let order: Vec<String> = if self.outer_order.is_empty() {
            Vec::new()
        } else {
            vec![self.outer_order.clone()]
        };
        let inner = match self.inner_for_all_keys().filter(|_| array) {
            Some(sql) => Cow::Borrowed(sql),
            None => self.list_form(true, keys),
        };
        Cow::Owned(wrap_with_joins(
            target,
            &inner,
            &self.outer_links(),
            builder,
            &order,
            params,
        ))
    }

    /// The simple form (or the joined form's inner statement) with the
    /// placeholders of `keys` keys.
    fn list_form(&'static self, inner: bool, keys: KeyCount) -> Cow<'static, str> {
        match keys {
            KeyCount::Exactly(n) if inner => Cow::Owned(self.inner_for_keys(n)),
            KeyCount::Exactly(n) => self.for_keys(n),
            KeyCount::Any => {
                let (head, tail) = if inner {
                    (&self.inner_head, ")")
                } else {
                    (&self.head, self.tail.as_str())
                };
                let mut sql = Sql::new(self.dialect);
                sql.push(head);
                sql.key_params(1, self.key_width);
                sql.push(", …");
                sql.push(tail);
                Cow::Owned(sql.finish())
            }
        }
    }

    /// `, t0."__link0", ...`: the wrapped form's link columns.
    pub(crate) fn outer_links(&self) -> String {
        (0..self.link_width)
            .map(|i| format!(", t0.\"__link{i}\""))
            .collect()
    }
}

/// The ORDER BY terms of a collection, its columns qualified by `alias`.
pub(crate) fn order_terms(relation: &RelationMeta, alias: &str) -> Vec<String> {
    relation
        .order_by
        .iter()
        .map(|(column, desc)| {
            format!(
                "{}{}",
                qualified(alias, column),
                if *desc { " DESC" } else { "" }
            )
        })
        .collect()
}
