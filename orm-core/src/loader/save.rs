//! Saving a new object graph: [`Session::insert`](crate::Session::insert)
//! of an object whose relations hold objects. The graph is read once into
//! rows to write ([`GraphWrite`]); a plan ([`SavePlan`]) writes them,
//! parents before the rows that point at them, reads back the keys the
//! database assigns and sets the foreign keys from them; then the saved
//! objects are built with their relations loaded.
//!
//! What each object becomes:
//! - new (built by hand, in no session): inserted, once however many
//!   relations reach it;
//! - the session's own (a handle it returned): not inserted. A many-to-one
//!   or many-to-many links it by its key; a one-to-many moves it to its new
//!   parent with one `UPDATE` of its foreign key;
//! - another session's: [`Error::ForeignObject`], before anything is sent.
//!
//! Statements: the rows of one table at one depth of the graph go in one
//! multi-row `INSERT` (on PostgreSQL one statement for any number of rows,
//! each column one array parameter; on SQLite up to 500 rows a statement).
//! On SQLite, rows whose key the database assigns are inserted one per
//! statement with `RETURNING`: SQLite does not say in which order a
//! multi-row insert assigns rowids (SQLAlchemy makes the same choice).
//! Association rows come last, one multi-row `INSERT` per relation.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::Handle;

use super::Entity;
use crate::engine::{IdentityMap, Plan, PlanContext, Statement};
use crate::relation::{Link, Relation, RelationField, FILL};
use crate::schema::RelationMeta;
use crate::sql::{
    association_columns, insert_rows, insert_rows_params, rows_per_statement, update_columns,
};
use crate::value::ValuesRow;
use crate::{EntityMeta, Error, Result, Row, SqlType, Value, ValueRef};

/// A saved object, its type erased until it is stored or registered: an
/// `Arc` around its `Handle`.
type Built = Arc<dyn Any + Send + Sync>;

/// The key a foreign key or an association row takes.
#[derive(Clone)]
enum KeyOf {
    /// A node of this graph, whose key is known once its row is written.
    Node(usize),
    /// An object the session holds: its key's values.
    Known(Vec<Value>),
    /// No object: the columns are NULL (a to-one loaded as absent).
    Absent,
}

/// What is written for a node.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    /// An INSERT of every column.
    Insert,
    /// An INSERT without the key, which the database assigns.
    InsertAssigningKey,
    /// An UPDATE of the foreign-key columns only: an object the session
    /// holds, moved to a new parent.
    Move,
}

/// One row to write.
struct Node {
    meta: &'static EntityMeta,
    write: Write,
    /// Every column, in [`EntityMeta::columns`] order; foreign keys and an
    /// assigned key are filled in as the plan goes.
    values: Vec<Value>,
    /// Columns (in the order of the referenced key) taken from a key.
    fills: Vec<(Vec<usize>, KeyOf)>,
    build: fn(&[Value]) -> Result<Built>,
    register: Register,
    built: Option<Built>,
}

/// A relation of a saved object, to store once every object is built.
struct Edge {
    parent: usize,
    targets: Vec<Target>,
    store: StoreRelation,
}

/// Stores a relation's targets on its parent (their types erased).
type StoreRelation = Box<dyn Fn(&Built, Vec<Built>)>;

/// Registers a saved object (its type erased) in the identity map.
type Register = fn(&mut IdentityMap, &Built);

/// A target of a stored relation.
enum Target {
    Node(usize),
    Held(Built),
}

/// A row of an association table.
struct AssociationRow {
    relation: &'static RelationMeta,
    parent: KeyOf,
    target: KeyOf,
}

/// The rows a graph save writes, read from the graph before anything is
/// sent.
#[doc(hidden)]
pub struct GraphWrite<'a> {
    identity: &'a IdentityMap,
    nodes: Vec<Node>,
    /// Objects already read, by address, so that an object reached twice
    /// is written once.
    seen: HashMap<usize, usize>,
    edges: Vec<Edge>,
    associations: Vec<AssociationRow>,
    /// New objects whose relations are still to read.
    unread: VecDeque<(Built, usize, ReadRelations)>,
}

/// Reads the relations of a new object (its type erased) into the graph.
type ReadRelations = fn(&Built, usize, &mut GraphWrite<'_>) -> Result<()>;

fn read_relations<T: Entity>(
    object: &Built,
    node: usize,
    graph: &mut GraphWrite<'_>,
) -> Result<()> {
    if let Some(object) = object.downcast_ref::<Handle<T>>() {
        for relation in T::relations() {
            relation.add_writes(object, node, graph)?;
        }
    }
    Ok(())
}

impl<'a> GraphWrite<'a> {
    /// Reads the graph of `root`: its row and what its loaded relations
    /// reach, breadth first: rows are written in the order of the fields
    /// and lists, level by level (a graph of any depth reads without
    /// recursion).
    pub(crate) fn of<E: Entity>(identity: &'a IdentityMap, root: &Handle<E>) -> Result<Self> {
        let mut graph = GraphWrite {
            identity,
            nodes: Vec::new(),
            seen: HashMap::new(),
            edges: Vec::new(),
            associations: Vec::new(),
            unread: VecDeque::new(),
        };
        graph.add(root);
        while let Some((object, node, read)) = graph.unread.pop_front() {
            read(&object, node, &mut graph)?;
        }
        Ok(graph)
    }

    /// Adds a new object, its relations to read; its node.
    fn add<T: Entity>(&mut self, object: &Handle<T>) -> usize {
        let address = Handle::as_ptr(object) as *const () as usize;
        if let Some(&node) = self.seen.get(&address) {
            return node;
        }
        let meta = T::META;
        let mut values = Vec::with_capacity(meta.columns.len());
        object.column_values(&mut values);
        let write = if meta.auto_key && object.key_unassigned() {
            Write::InsertAssigningKey
        } else {
            Write::Insert
        };
        let node = self.push::<T>(write, values);
        self.seen.insert(address, node);
        self.unread.push_back((
            Arc::new(Handle::clone(object)) as Built,
            node,
            read_relations::<T>,
        ));
        node
    }

    /// Adds an object the session holds, moved to the parent at `node` by
    /// its foreign-key columns `columns`.
    fn moved<T: Entity>(
        &mut self,
        object: &Handle<T>,
        columns: Vec<usize>,
        parent: usize,
    ) -> usize {
        let address = Handle::as_ptr(object) as *const () as usize;
        let node = match self.seen.get(&address) {
            Some(&node) => node,
            None => {
                let mut values = Vec::with_capacity(T::META.columns.len());
                object.column_values(&mut values);
                let node = self.push::<T>(Write::Move, values);
                self.seen.insert(address, node);
                node
            }
        };
        self.nodes[node].fills.push((columns, KeyOf::Node(parent)));
        node
    }

    fn push<T: Entity>(&mut self, write: Write, values: Vec<Value>) -> usize {
        self.nodes.push(Node {
            meta: T::META,
            write,
            values,
            fills: Vec::new(),
            build: build::<T>,
            register: register::<T>,
            built: None,
        });
        self.nodes.len() - 1
    }
}

/// Adds to `graph` what saving `parent` (node `node`) writes for
/// `relation`: its new targets, the foreign keys between them and
/// `parent`, its association rows; and the relation to store afterwards.
pub(crate) fn add_relation_writes<P: Entity, T: Entity, F: RelationField<T>>(
    relation: Relation<P, T, F>,
    parent: &P,
    node: usize,
    graph: &mut GraphWrite<'_>,
) -> Result<()> {
    let field = relation.field(parent);
    if !field.is_loaded() {
        return Ok(());
    }
    let mut held = Vec::new();
    field.each_target(FILL, &mut |target| held.push(Handle::clone(target)));
    let meta = relation.meta;
    if held.is_empty() && matches!(relation.link, Link::ManyToOne { .. }) {
        // Loaded as absent: the foreign key is NULL, where it can be.
        let columns = positions(P::META, meta.foreign_key)?;
        if let Some(&column) = columns.iter().find(|&&c| !P::META.columns[c].nullable) {
            return Err(Error::Misuse(format!(
                "{} is loaded as absent, but its foreign key {} cannot be NULL",
                meta.path(),
                P::META.columns[column].name
            )));
        }
        graph.nodes[node].fills.push((columns, KeyOf::Absent));
    }
    let mut targets = Vec::with_capacity(held.len());
    for object in held {
        let own = graph.identity.holds(&object)?;
        let key = |graph: &mut GraphWrite<'_>| -> Result<KeyOf> {
            Ok(if own {
                let mut values = Vec::new();
                T::key_values(&object.key(), &mut values);
                KeyOf::Known(values)
            } else {
                KeyOf::Node(graph.add(&object))
            })
        };
        let target_key = match relation.link {
            Link::ManyToOne { .. } => {
                let target = key(graph)?;
                let columns = positions(P::META, meta.foreign_key)?;
                graph.nodes[node].fills.push((columns, target.clone()));
                target
            }
            Link::Remote { .. } => {
                let columns = positions(T::META, meta.foreign_key)?;
                let child = if own {
                    graph.moved(&object, columns, node)
                } else {
                    let child = graph.add(&object);
                    graph.nodes[child].fills.push((columns, KeyOf::Node(node)));
                    child
                };
                KeyOf::Node(child)
            }
            Link::Secondary => {
                let target = key(graph)?;
                graph.associations.push(AssociationRow {
                    relation: meta,
                    parent: KeyOf::Node(node),
                    target: target.clone(),
                });
                target
            }
        };
        targets.push(match target_key {
            KeyOf::Node(target) => Target::Node(target),
            _ => Target::Held(Arc::new(object) as Built),
        });
    }
    graph.edges.push(Edge {
        parent: node,
        targets,
        store: Box::new(move |parent, targets| store(relation, parent, targets)),
    });
    Ok(())
}

/// The positions of the columns `names` in `meta`.
fn positions(meta: &EntityMeta, names: &[&str]) -> Result<Vec<usize>> {
    names
        .iter()
        .map(|name| {
            meta.columns
                .iter()
                .position(|column| column.name == *name)
                .ok_or_else(|| Error::Misuse(format!("{} has no column {name}", meta.name)))
        })
        .collect()
}

fn build<T: Entity>(values: &[Value]) -> Result<Built> {
    Ok(Arc::new(Handle::new(T::from_row(&ValuesRow(values), 0)?)))
}

fn register<T: Entity>(identity: &mut IdentityMap, built: &Built) {
    if let Some(object) = built.downcast_ref::<Handle<T>>() {
        identity.register_write(object);
    }
}

fn store<P: Entity, T: Entity, F: RelationField<T>>(
    relation: Relation<P, T, F>,
    parent: &Built,
    targets: Vec<Built>,
) {
    if let Some(parent) = parent.downcast_ref::<Handle<P>>() {
        let targets = targets
            .iter()
            .filter_map(|target| target.downcast_ref::<Handle<T>>().cloned())
            .collect();
        relation.field(parent).store(FILL, targets);
    }
}

/// A batch of the plan: nodes written together, or the rows of one
/// association table.
enum Batch {
    Nodes(Vec<usize>),
    Associations(&'static RelationMeta, Vec<usize>),
}

/// Writes the rows of a [`GraphWrite`], batch by batch, then builds the
/// saved objects ([`SavePlan::finish`]).
pub(crate) struct SavePlan {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    associations: Vec<AssociationRow>,
    batches: std::vec::IntoIter<Batch>,
    /// Nodes of a batch not sent yet (a batch larger than one statement
    /// carries, or SQLite's one row per assigning insert).
    rest: Vec<usize>,
    /// The nodes whose keys the statement last sent returns, and those keys.
    awaiting: Vec<usize>,
    returned: Vec<i64>,
}

impl SavePlan {
    /// Orders the rows of `graph`: every node after the nodes whose keys it
    /// takes, the rows of one table and kind at one depth together.
    pub(crate) fn new(graph: GraphWrite<'_>) -> Result<Self> {
        let GraphWrite {
            nodes,
            edges,
            associations,
            ..
        } = graph;
        let depths = depths(&nodes)?;
        let mut order: Vec<usize> = (0..nodes.len()).collect();
        order.sort_by_key(|&n| depths[n]);
        let mut batches: Vec<Batch> = Vec::new();
        let mut open: HashMap<(usize, usize, u8), usize> = HashMap::new();
        for n in order {
            let node = &nodes[n];
            let group = (
                depths[n],
                node.meta as *const EntityMeta as usize,
                node.write as u8,
            );
            match open.get(&group) {
                Some(&batch) => {
                    if let Batch::Nodes(members) = &mut batches[batch] {
                        members.push(n);
                    }
                }
                None => {
                    open.insert(group, batches.len());
                    batches.push(Batch::Nodes(vec![n]));
                }
            }
        }
        let mut by_relation: Vec<(&'static RelationMeta, Vec<usize>)> = Vec::new();
        for (i, row) in associations.iter().enumerate() {
            match by_relation
                .iter_mut()
                .find(|(relation, _)| std::ptr::eq(*relation, row.relation))
            {
                Some((_, rows)) => rows.push(i),
                None => by_relation.push((row.relation, vec![i])),
            }
        }
        batches.extend(
            by_relation
                .into_iter()
                .map(|(relation, rows)| Batch::Associations(relation, rows)),
        );
        Ok(SavePlan {
            nodes,
            edges,
            associations,
            batches: batches.into_iter(),
            rest: Vec::new(),
            awaiting: Vec::new(),
            returned: Vec::new(),
        })
    }

    /// Stores the keys the last statement returned in its nodes, in the
    /// order the rows were sent (an identity column assigns them ascending).
    fn take_returned_keys(&mut self) -> Result<()> {
        if self.awaiting.is_empty() {
            return Ok(());
        }
        if self.returned.len() != self.awaiting.len() {
            return Err(Error::Misuse(format!(
                "an insert of {} rows returned {} keys",
                self.awaiting.len(),
                self.returned.len()
            )));
        }
        self.returned.sort_unstable();
        for (&n, &key) in self.awaiting.iter().zip(&self.returned) {
            let node = &mut self.nodes[n];
            node.values[node.meta.primary_key[0]] = Value::Integer(key);
        }
        self.awaiting.clear();
        self.returned.clear();
        Ok(())
    }

    /// The values of the key `key` stands for.
    fn key_values(&self, key: &KeyOf, width: usize) -> Vec<Value> {
        match key {
            KeyOf::Node(n) => {
                let node = &self.nodes[*n];
                node.meta
                    .primary_key
                    .iter()
                    .map(|&i| node.values[i].clone())
                    .collect()
            }
            KeyOf::Known(values) => values.clone(),
            KeyOf::Absent => vec![Value::Null; width],
        }
    }

    /// Fills the foreign keys of node `n` from the keys they take.
    fn fill(&mut self, n: usize) {
        let fills = std::mem::take(&mut self.nodes[n].fills);
        for (columns, key) in &fills {
            let values = self.key_values(key, columns.len());
            for (&column, value) in columns.iter().zip(values) {
                self.nodes[n].values[column] = value;
            }
        }
        self.nodes[n].fills = fills;
    }

    /// The statement writing `members` (one table, one kind of write), and
    /// the members it leaves for the next one.
    fn node_statement(
        &mut self,
        mut members: Vec<usize>,
        dialect: &dyn crate::Dialect,
    ) -> Statement {
        for &n in &members {
            self.fill(n);
        }
        let first = &self.nodes[members[0]];
        let meta = first.meta;
        let write = first.write;
        if write == Write::Move {
            // One row per statement: its foreign-key columns, then its key.
            self.rest = members.split_off(1);
            let node = &self.nodes[members[0]];
            let columns: Vec<usize> = node.fills.iter().flat_map(|(c, _)| c.clone()).collect();
            let names: Vec<&str> = columns.iter().map(|&i| meta.columns[i].name).collect();
            let mut params: Vec<Value> = columns.iter().map(|&i| node.values[i].clone()).collect();
            params.extend(meta.primary_key.iter().map(|&i| node.values[i].clone()));
            return Statement {
                sql: update_columns(meta, dialect, &names).into(),
                params,
            };
        }
        let assigning = write == Write::InsertAssigningKey;
        let columns: Vec<usize> = (0..meta.columns.len())
            .filter(|&i| !(assigning && i == meta.primary_key[0]))
            .collect();
        let per_statement = if assigning && !dialect.key_lists_as_array() {
            1
        } else {
            rows_per_statement(dialect, members.len(), columns.len())
        };
        if members.len() > per_statement {
            self.rest = members.split_off(per_statement);
        }
        let rows: Vec<&[Value]> = members
            .iter()
            .map(|&n| self.nodes[n].values.as_slice())
            .collect();
        let typed: Vec<(&str, SqlType)> = columns
            .iter()
            .map(|&i| (meta.columns[i].name, meta.columns[i].sql_type))
            .collect();
        let returning = assigning.then(|| meta.columns[meta.primary_key[0]].name);
        let statement = rows_statement(dialect, meta.table, &typed, &columns, &rows, returning);
        if assigning {
            self.awaiting = members;
        }
        statement
    }

    /// The statement writing the association rows `rows` of `relation`.
    fn association_statement(
        &mut self,
        relation: &'static RelationMeta,
        mut rows: Vec<usize>,
        dialect: &dyn crate::Dialect,
    ) -> Statement {
        let owner = relation.owner_meta();
        let target = relation.target_meta();
        let typed = association_columns(relation);
        let per_statement = rows_per_statement(dialect, rows.len(), typed.len());
        if rows.len() > per_statement {
            let rest = rows.split_off(per_statement);
            // Taken up again as a batch of its own.
            let remaining: Vec<Batch> = std::iter::once(Batch::Associations(relation, rest))
                .chain(std::mem::take(&mut self.batches))
                .collect();
            self.batches = remaining.into_iter();
        }
        let values: Vec<Vec<Value>> = rows
            .iter()
            .map(|&r| {
                let row = &self.associations[r];
                let mut values = self.key_values(&row.parent, owner.primary_key.len());
                values.extend(self.key_values(&row.target, target.primary_key.len()));
                values
            })
            .collect();
        let slices: Vec<&[Value]> = values.iter().map(Vec::as_slice).collect();
        let columns: Vec<usize> = (0..typed.len()).collect();
        rows_statement(
            dialect,
            relation.secondary.unwrap_or_default(),
            &typed,
            &columns,
            &slices,
            None,
        )
    }

    /// Builds every saved object, stores the relations between them, and
    /// returns the root with what the session registers once the writes
    /// stand.
    pub(crate) fn finish(mut self) -> Result<Saved> {
        for node in &mut self.nodes {
            node.built = Some((node.build)(&node.values)?);
        }
        let built = |n: usize| self.nodes[n].built.clone();
        for edge in &self.edges {
            let targets: Vec<Built> = edge
                .targets
                .iter()
                .filter_map(|target| match target {
                    Target::Node(n) => built(*n),
                    Target::Held(object) => Some(Arc::clone(object)),
                })
                .collect();
            if let Some(parent) = built(edge.parent) {
                (edge.store)(&parent, targets);
            }
        }
        Ok(Saved {
            objects: self
                .nodes
                .into_iter()
                .filter_map(|node| Some((node.register, node.built?)))
                .collect(),
        })
    }
}

/// The rows of `rows` (their values at `columns`) as one INSERT.
fn rows_statement(
    dialect: &dyn crate::Dialect,
    table: &str,
    typed: &[(&str, SqlType)],
    columns: &[usize],
    rows: &[&[Value]],
    returning: Option<&str>,
) -> Statement {
    let sql = insert_rows(dialect, table, typed, rows.len(), returning);
    let params = insert_rows_params(dialect, rows, columns);
    Statement {
        sql: sql.into(),
        params,
    }
}

/// Each node's depth: 0 for a node that takes no key of another, else one
/// more than the deepest node it takes a key from; computed without
/// recursion. A graph whose keys run in a circle cannot be written row by
/// row and is refused.
fn depths(nodes: &[Node]) -> Result<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    const VISITING: usize = usize::MAX - 1;
    let sources = |n: usize| {
        nodes[n].fills.iter().filter_map(|(_, key)| match key {
            KeyOf::Node(source) => Some(*source),
            _ => None,
        })
    };
    let mut depth = vec![UNSEEN; nodes.len()];
    for start in 0..nodes.len() {
        if depth[start] != UNSEEN {
            continue;
        }
        depth[start] = VISITING;
        let mut stack = vec![start];
        while let Some(&n) = stack.last() {
            if let Some(next) = sources(n).find(|&s| depth[s] == UNSEEN) {
                depth[next] = VISITING;
                stack.push(next);
                continue;
            }
            if sources(n).any(|s| depth[s] == VISITING) {
                return Err(Error::Misuse(format!(
                    "the objects to insert point at each other in a circle through {}: \
                     insert one of them first",
                    nodes[n].meta.name
                )));
            }
            depth[n] = sources(n).map(|s| depth[s] + 1).max().unwrap_or(0);
            stack.pop();
        }
    }
    Ok(depth)
}

impl Plan for SavePlan {
    /// One at a time: each batch's keys feed the foreign keys of the next.
    fn next_statements(&mut self, cx: &mut PlanContext<'_>) -> Result<Vec<Statement>> {
        Ok(self.next_statement(cx)?.into_iter().collect())
    }

    fn on_row(&mut self, _: &mut PlanContext<'_>, _: usize, row: &dyn Row) -> Result<()> {
        match row.value(0)? {
            ValueRef::Integer(key) => {
                self.returned.push(key);
                Ok(())
            }
            other => Err(Error::Misuse(format!(
                "the database assigned a key that is not an integer: {}",
                other.storage_class()
            ))),
        }
    }
}

impl SavePlan {
    fn next_statement(&mut self, cx: &mut PlanContext<'_>) -> Result<Option<Statement>> {
        self.take_returned_keys()?;
        if !self.rest.is_empty() {
            let members = std::mem::take(&mut self.rest);
            return Ok(Some(self.node_statement(members, cx.dialect)));
        }
        match self.batches.next() {
            None => Ok(None),
            Some(Batch::Nodes(members)) => Ok(Some(self.node_statement(members, cx.dialect))),
            Some(Batch::Associations(relation, rows)) => {
                Ok(Some(self.association_statement(relation, rows, cx.dialect)))
            }
        }
    }
}

/// The objects a graph save wrote, to register in the identity map once
/// the writes stand; the root comes first.
pub(crate) struct Saved {
    objects: Vec<(Register, Built)>,
}

impl Saved {
    /// Registers every saved object as a write and returns the root. The
    /// rows that point at a parent are registered before it, so that a
    /// parent's collection, already holding its saved children, is not
    /// taken for one a write changed.
    pub(crate) fn register<E: Entity>(self, identity: &mut IdentityMap) -> Option<Handle<E>> {
        for (register, object) in self.objects.iter().rev() {
            register(identity, object);
        }
        let (_, root) = self.objects.into_iter().next()?;
        root.downcast_ref::<Handle<E>>().cloned()
    }
}
