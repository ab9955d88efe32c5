//! The validated model of one `#[derive(Entity)]` struct. Expansion sees only
//! this, never raw attributes.

use proc_macro2::Span;
use quote::ToTokens;
use syn::ext::IdentExt;

use super::attr;
use super::ctxt::Ctxt;
use super::suggest::valid_choices;
use super::symbol::{CASCADES, ON_DELETE_ACTIONS, STRATEGIES};

/// A mapped struct.
pub struct Model {
    pub ident: syn::Ident,
    pub table: String,
    pub krate: syn::Path,
    pub columns: Vec<Column>,
    /// Positions in `columns` of the primary key, in field order.
    pub primary_key: Vec<usize>,
    pub relations: Vec<Relation>,
}

/// The field type of a relationship.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Wrapper {
    One,
    Many,
    Dynamic,
}

/// How a relationship's two ends are linked.
pub enum Link {
    /// Foreign key on this struct: positions in `Model::columns`.
    ManyToOne { columns: Vec<usize> },
    /// Foreign key on the target: the target's field names.
    Remote { fields: Vec<syn::Ident> },
    /// Through an association table: its name and both key column lists.
    Secondary {
        table: String,
        foreign_key: Vec<String>,
        target_foreign_key: Vec<String>,
    },
    /// A link whose attribute was wrong (the error is recorded). Expanded,
    /// next to that error only, as a link that reads no field, so that the
    /// relation constant still exists and its uses add no errors.
    Invalid,
}

/// A relationship field.
pub struct Relation {
    pub ident: syn::Ident,
    pub wrapper: Wrapper,
    /// The full field type, e.g. `Many<Book>`.
    pub ty: syn::Type,
    /// The target entity, e.g. `Book`.
    pub target: syn::Type,
    /// The relation constant, e.g. `BOOKS`.
    pub constant: syn::Ident,
    /// One of `STRATEGIES`.
    pub strategy: &'static str,
    pub link: Link,
    pub innerjoin: bool,
    pub chunk_size: usize,
    /// Whether `chunk_size` was written (else it is the default, 500).
    pub chunk_size_explicit: bool,
    pub join_depth: usize,
    /// Target fields to order a collection by, and "descending".
    pub order_by: Vec<(syn::Ident, bool)>,
    /// Where the link was written (the `foreign_key` value, else the field),
    /// so cross-struct errors point at it.
    pub link_span: Span,
    pub optional: bool,
    /// `cascade = "delete"`: deleting the owner deletes the targets first.
    pub cascade_delete: bool,
    /// `cascade = "delete-orphan"`: a target unlinked from the owner is
    /// deleted (implies `cascade_delete`).
    pub delete_orphan: bool,
    /// `on_delete`: the foreign key's action in the DDL (one of
    /// `ON_DELETE_ACTIONS`).
    pub on_delete: &'static str,
}

/// A field stored in a column.
pub struct Column {
    pub ident: syn::Ident,
    pub ty: syn::Type,
    pub name: String,
    /// Where the name was given, for errors about it.
    pub name_span: Span,
    pub primary_key: bool,
    /// The associated constant, e.g. `NAME` for field `name`.
    pub constant: syn::Ident,
    /// The UNIQUE constraint the column is part of: the name given, else
    /// `uq_<table>_<column>`.
    pub unique: Option<String>,
    pub index: bool,
    /// SQL expressions, sent as written.
    pub default: Option<String>,
    pub check: Option<String>,
}

impl Model {
    /// Builds the model, recording every problem in `cx`. `None` only when
    /// the input is not a struct with named fields at all.
    pub fn from_ast(cx: &Ctxt, input: &syn::DeriveInput) -> Option<Model> {
        let container = attr::Container::from_ast(cx, &input.attrs);
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                "#[derive(Entity)] does not support generic parameters",
            );
        }
        let fields = match &input.data {
            syn::Data::Struct(data) => match &data.fields {
                syn::Fields::Named(named) => &named.named,
                syn::Fields::Unnamed(_) => {
                    cx.error_spanned_by(
                        &input.ident,
                        "#[derive(Entity)] needs a struct with named fields; tuple structs cannot name their columns",
                    );
                    return None;
                }
                syn::Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        "#[derive(Entity)] needs a struct with named fields; a unit struct has no columns",
                    );
                    return None;
                }
            },
            syn::Data::Enum(data) => {
                cx.error_spanned_by(
                    data.enum_token,
                    "#[derive(Entity)] works on structs with named fields, not on enums",
                );
                return None;
            }
            syn::Data::Union(data) => {
                cx.error_spanned_by(
                    data.union_token,
                    "#[derive(Entity)] works on structs with named fields, not on unions",
                );
                return None;
            }
        };

        let table = match container.table {
            Some(lit) => lit.value(),
            None => default_table_name(&input.ident.unraw().to_string()),
        };
        let owner_name = input.ident.unraw().to_string();
        let mut relationship_fields = Vec::new();
        let columns: Vec<Column> = fields
            .iter()
            .filter_map(|field| {
                let ident = field.ident.clone()?;
                let relationship = attr::Relationship::from_ast(cx, field);
                if let Some((wrapper, target)) = relation_type(&field.ty) {
                    for orm in field
                        .attrs
                        .iter()
                        .filter(|a| a.path().is_ident(super::symbol::ORM))
                    {
                        cx.error_spanned_by(
                            orm,
                            format!("relationship field `{}` takes #[relationship(...)], not #[orm(...)]: it has no column of its own", ident.unraw()),
                        );
                    }
                    relationship_fields.push((field, ident, wrapper, target, relationship));
                    return None;
                }
                if let Some(attr) = &relationship.present {
                    let ty = &field.ty;
                    cx.error_spanned_by(
                        attr,
                        format!(
                            "#[relationship] needs a field of type One<T>, Many<T> or Dynamic<T>, but `{}` has type `{}`",
                            ident.unraw(),
                            quote::quote!(#ty).to_string().replace(' ', "")
                        ),
                    );
                }
                let attrs = attr::Field::from_ast(cx, field);
                if attrs.primary_key && is_option(&field.ty) {
                    cx.error_spanned_by(
                        &field.ty,
                        "a primary key cannot be an Option: every row needs its key",
                    );
                }
                let unraw = ident.unraw().to_string();
                let (name, name_span) = match &attrs.column {
                    Some(lit) => (lit.value(), lit.span()),
                    None => (unraw.clone(), ident.span()),
                };
                if let (Some(index), Some(_)) = (&attrs.index, &attrs.unique) {
                    cx.error_spanned_by(
                        index,
                        "`index` is redundant with `unique`: the database indexes a UNIQUE constraint",
                    );
                }
                let unique = attrs.unique.map(|(_, group)| match group {
                    Some(lit) => lit.value(),
                    None => format!("uq_{table}_{name}"),
                });
                Some(Column {
                    constant: syn::Ident::new(&unraw.to_uppercase(), ident.span()),
                    ident,
                    ty: field.ty.clone(),
                    name,
                    name_span,
                    primary_key: attrs.primary_key,
                    unique,
                    index: attrs.index.is_some(),
                    default: attrs.default.map(|lit| lit.value()),
                    check: attrs.check.map(|lit| lit.value()),
                })
            })
            .collect();

        let krate = container
            .krate
            .unwrap_or_else(|| syn::parse_quote!(::eagerly));
        let primary_key = columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.primary_key)
            .map(|(i, _)| i)
            .collect();
        let relations = relationship_fields
            .into_iter()
            .map(|(field, ident, wrapper, target, attrs)| {
                Relation::from_ast(
                    cx,
                    &owner_name,
                    &columns,
                    field,
                    ident,
                    wrapper,
                    target,
                    attrs,
                )
            })
            .collect();
        Some(Model {
            ident: input.ident.clone(),
            table,
            krate,
            columns,
            primary_key,
            relations,
        })
    }

    /// Whether the key is one integer column the database can assign.
    pub fn auto_key(&self) -> bool {
        match self.primary_key.as_slice() {
            [only] => is_integer_type(&self.columns[*only].ty),
            _ => false,
        }
    }
}

/// `BookTag` becomes `book_tags`: snake case plus a plural `s`, as Diesel does.
pub fn default_table_name(struct_name: &str) -> String {
    let mut name = snake_case(struct_name);
    name.push('s');
    name
}

/// `BookTag` becomes `book_tag`.
pub fn snake_case(struct_name: &str) -> String {
    let mut name = String::new();
    for (i, c) in struct_name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                name.push('_');
            }
            name.extend(c.to_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

fn is_integer_type(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Path(path) if path.qself.is_none() => {
            path.path.segments.last().is_some_and(|s| {
                s.arguments.is_none() && ["i64", "i32", "u32"].iter().any(|t| s.ident == t)
            })
        }
        _ => false,
    }
}

/// `One<T>`, `Many<T>` or `Dynamic<T>` (by the last path segment) and its `T`.
fn relation_type(ty: &syn::Type) -> Option<(Wrapper, syn::Type)> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    let wrapper = match last.ident.to_string().as_str() {
        "One" => Wrapper::One,
        "Many" => Wrapper::Many,
        "Dynamic" => Wrapper::Dynamic,
        _ => return None,
    };
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(target)) if args.args.len() == 1 => {
            Some((wrapper, target.clone()))
        }
        _ => None,
    }
}

/// Whether the type is spelt `Option<...>`.
pub fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

/// Splits `"a, b"` into identifiers, reporting what is not one. `None` when
/// any name is bad or the value is empty (reported when it was parsed), so no
/// link is built from half a key.
fn identifiers(cx: &Ctxt, lit: &syn::LitStr) -> Option<Vec<syn::Ident>> {
    let value = lit.value();
    if value.trim().is_empty() {
        return None;
    }
    let mut idents = Vec::new();
    let mut complete = true;
    for name in value.split(',').map(str::trim) {
        match syn::parse::Parser::parse_str(syn::Ident::parse_any, name) {
            Ok(ident) => idents.push(syn::Ident::new(&ident.unraw().to_string(), lit.span())),
            Err(_) if name.is_empty() => {
                cx.error_spanned_by(
                    lit,
                    format!("empty field name in `{value}`: list the fields separated by commas"),
                );
                complete = false;
            }
            Err(_) => {
                cx.error_spanned_by(lit, format!("`{name}` is not a field name"));
                complete = false;
            }
        }
    }
    complete.then_some(idents)
}

fn column_names(lit: &syn::LitStr) -> Vec<String> {
    lit.value()
        .split(',')
        .map(|c| c.trim().to_owned())
        .collect()
}

fn positive(cx: &Ctxt, lit: &syn::LitInt, key: &str, minimum: usize) -> Option<usize> {
    match lit.base10_parse::<usize>() {
        Ok(n) if n >= minimum => Some(n),
        _ => {
            cx.error_spanned_by(
                lit,
                format!("`{key}` must be an integer of at least {minimum}"),
            );
            None
        }
    }
}

impl Relation {
    /// A relation whose link could not be read, its error already recorded:
    /// kept with defaults so that the fallback expansion still has its field
    /// and constant.
    fn invalid(
        field: &syn::Field,
        ident: syn::Ident,
        wrapper: Wrapper,
        target: syn::Type,
        strategy: &'static str,
    ) -> Relation {
        Relation {
            constant: syn::Ident::new(&ident.unraw().to_string().to_uppercase(), ident.span()),
            link_span: ident.span(),
            ident,
            wrapper,
            ty: field.ty.clone(),
            target,
            strategy,
            link: Link::Invalid,
            innerjoin: false,
            chunk_size: 500,
            chunk_size_explicit: false,
            join_depth: 0,
            order_by: Vec::new(),
            optional: false,
            cascade_delete: false,
            delete_orphan: false,
            on_delete: "no action",
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn from_ast(
        cx: &Ctxt,
        owner: &str,
        columns: &[Column],
        field: &syn::Field,
        ident: syn::Ident,
        wrapper: Wrapper,
        target: syn::Type,
        attrs: attr::Relationship,
    ) -> Relation {
        let field_name = ident.unraw().to_string();
        let default_strategy = if wrapper == Wrapper::Dynamic {
            "dynamic"
        } else {
            "select"
        };
        let strategy = match &attrs.lazy {
            None => default_strategy,
            Some(lit) => {
                let value = lit.value();
                match STRATEGIES.iter().find(|s| **s == value) {
                    Some(found) => found,
                    None => {
                        cx.error_spanned_by(
                            lit,
                            format!(
                                "unknown strategy `{value}`: {}",
                                valid_choices(&value, STRATEGIES)
                            ),
                        );
                        default_strategy
                    }
                }
            }
        };
        let lazy_tokens = attrs
            .lazy
            .as_ref()
            .map(|l| l.to_token_stream())
            .unwrap_or_else(|| ident.to_token_stream());
        match (wrapper, strategy) {
            (Wrapper::One, "dynamic") => cx.error_spanned_by(
                &lazy_tokens,
                "`dynamic` is not allowed on a `One` relation: a to-one relation has nothing to filter or page",
            ),
            (Wrapper::Many, "dynamic") => cx.error_spanned_by(&lazy_tokens, "`dynamic` needs a field of type `Dynamic<T>`, not `Many<T>`"),
            (Wrapper::Dynamic, s) if s != "dynamic" => cx.error_spanned_by(
                &lazy_tokens,
                format!("a `Dynamic<T>` field is always `dynamic`; use `Many<T>` for `{s}`"),
            ),
            _ => {}
        }
        let innerjoin = attrs.innerjoin.as_ref().is_some_and(|b| b.value);
        if let Some(lit) = attrs.innerjoin.as_ref().filter(|b| b.value) {
            if strategy != "joined" {
                cx.error_spanned_by(lit, format!("`innerjoin` applies to `joined` loading, but this relation is `{strategy}`"));
            }
        }
        if let (Wrapper::One, Some(lit)) = (wrapper, &attrs.secondary) {
            cx.error_spanned_by(
                lit,
                "`secondary` makes a many-to-many: use `Many<T>` (or `Dynamic<T>`), not `One<T>`",
            );
        }
        if let (None, Some(lit)) = (&attrs.secondary, &attrs.target_foreign_key) {
            cx.error_spanned_by(
                lit,
                "`target_foreign_key` names a column of the `secondary` table, which is missing",
            );
        }
        let chunk_size_explicit = attrs.chunk_size.is_some();
        let chunk_size = attrs
            .chunk_size
            .as_ref()
            .and_then(|l| positive(cx, l, "chunk_size", 1))
            .unwrap_or(500);
        let join_depth = attrs
            .join_depth
            .as_ref()
            .and_then(|l| positive(cx, l, "join_depth", 0))
            .unwrap_or(0);
        let mut order_by = Vec::new();
        if let Some(lit) = &attrs.order_by {
            for term in lit.value().split(',') {
                let mut words = term.split_whitespace();
                let name = words.next().unwrap_or_default();
                let descending = match words.next().map(|w| w.to_ascii_lowercase()) {
                    None => Some(false),
                    Some(w) if w == "asc" => Some(false),
                    Some(w) if w == "desc" => Some(true),
                    Some(_) => None,
                };
                match (
                    syn::parse::Parser::parse_str(syn::Ident::parse_any, name),
                    descending,
                    words.next(),
                ) {
                    (Ok(column), Some(descending), None) => order_by.push((
                        syn::Ident::new(&column.unraw().to_string(), lit.span()),
                        descending,
                    )),
                    _ => cx.error_spanned_by(
                        lit,
                        format!(
                            "`order_by` expects `field [asc|desc], ...`, found `{}`",
                            term.trim()
                        ),
                    ),
                }
            }
        }

        let local_column =
            |name: &syn::Ident| columns.iter().position(|c| c.ident.unraw() == *name);
        let target_name = match &target {
            syn::Type::Path(p) => p
                .path
                .segments
                .last()
                .map(|s| s.ident.unraw().to_string())
                .unwrap_or_default(),
            _ => String::new(),
        };
        let fk_span = attrs
            .foreign_key
            .as_ref()
            .map_or(ident.span(), |l| l.span());
        let mut optional = false;
        let link = if let Some(secondary) = &attrs.secondary {
            Link::Secondary {
                table: secondary.value(),
                foreign_key: attrs
                    .foreign_key
                    .as_ref()
                    .map_or_else(|| vec![format!("{}_id", snake_case(owner))], column_names),
                target_foreign_key: attrs.target_foreign_key.as_ref().map_or_else(
                    || vec![format!("{}_id", snake_case(&target_name))],
                    column_names,
                ),
            }
        } else if wrapper == Wrapper::One {
            let names = match &attrs.foreign_key {
                Some(lit) => identifiers(cx, lit),
                None => Some(vec![syn::Ident::new(
                    &format!("{field_name}_id"),
                    ident.span(),
                )]),
            };
            let Some(names) = names else {
                return Relation::invalid(field, ident, wrapper, target, strategy);
            };
            let local: Vec<Option<usize>> = names.iter().map(local_column).collect();
            if local.iter().all(Option::is_some) && !names.is_empty() {
                let columns_used: Vec<usize> = local.into_iter().flatten().collect();
                optional = columns_used.iter().any(|&i| is_option(&columns[i].ty));
                Link::ManyToOne {
                    columns: columns_used,
                }
            } else if attrs.foreign_key.is_none() {
                cx.error_spanned_by(
                    &ident,
                    format!(
                        "cannot infer the foreign key of `{field_name}`: `{owner}` has no field `{field_name}_id`; add #[relationship(foreign_key = \"...\")] naming a field of `{owner}` (many-to-one) or of `{target_name}` (one-to-one)"
                    ),
                );
                return Relation::invalid(field, ident, wrapper, target, strategy);
            } else if local.iter().any(Option::is_some) {
                let elsewhere: Vec<String> = names
                    .iter()
                    .zip(&local)
                    .filter(|(_, position)| position.is_none())
                    .map(|(name, _)| format!("`{name}`"))
                    .collect();
                cx.error_spanned_by(
                    &attrs.foreign_key,
                    format!(
                        "the foreign key's fields must all be on `{owner}` (many-to-one) or all on `{target_name}` (one-to-one), but {} {} not a field of `{owner}`",
                        elsewhere.join(", "),
                        if elsewhere.len() == 1 { "is" } else { "are" }
                    ),
                );
                return Relation::invalid(field, ident, wrapper, target, strategy);
            } else {
                Link::Remote { fields: names }
            }
        } else {
            let names = match &attrs.foreign_key {
                Some(lit) => identifiers(cx, lit),
                None => Some(vec![syn::Ident::new(
                    &format!("{}_id", snake_case(owner)),
                    ident.span(),
                )]),
            };
            match names {
                Some(fields) => Link::Remote { fields },
                None => Link::Invalid,
            }
        };
        if matches!(link, Link::Invalid) {
            return Relation::invalid(field, ident, wrapper, target, strategy);
        }
        // A one-to-one may match several rows; its `order_by` picks the one
        // it holds. A many-to-one names one row by its key.
        if let (Link::ManyToOne { .. }, Some(lit)) = (&link, &attrs.order_by) {
            cx.error_spanned_by(
                lit,
                "`order_by` orders a collection (or picks the row of a one-to-one); a many-to-one `One` names one row by its key",
            );
        }
        let (cascade_delete, delete_orphan) = cascade(cx, &attrs.cascade, &link);
        let on_delete = on_delete(cx, &attrs.on_delete, &link);
        Relation {
            constant: syn::Ident::new(&field_name.to_uppercase(), ident.span()),
            ident,
            wrapper,
            ty: field.ty.clone(),
            target,
            strategy,
            link,
            innerjoin,
            chunk_size,
            chunk_size_explicit,
            join_depth,
            order_by,
            link_span: fk_span,
            optional,
            cascade_delete,
            delete_orphan,
            on_delete,
        }
    }
}

/// Reads `cascade = "delete, delete-orphan"`: (delete, delete-orphan). Only
/// a relation whose targets hold the foreign key cascades.
fn cascade(cx: &Ctxt, lit: &Option<syn::LitStr>, link: &Link) -> (bool, bool) {
    let Some(lit) = lit else {
        return (false, false);
    };
    if !matches!(link, Link::Remote { .. }) {
        cx.error_spanned_by(
            lit,
            "`cascade` applies to a one-to-many or one-to-one, whose targets hold the foreign key; \
             on a many-to-one, set `on_delete` for what deleting the target does",
        );
        return (false, false);
    }
    let (mut delete, mut orphan) = (false, false);
    for word in lit.value().split(',').map(str::trim) {
        match word {
            "delete" | "all" => delete = true,
            "delete-orphan" => {
                delete = true;
                orphan = true;
            }
            other => cx.error_spanned_by(
                lit,
                format!(
                    "unknown cascade `{other}`: {}",
                    valid_choices(other, CASCADES)
                ),
            ),
        }
    }
    (delete, orphan)
}

/// Reads `on_delete = "cascade" | "set null" | "no action"`, the action of
/// the foreign key a many-to-one holds.
fn on_delete(cx: &Ctxt, lit: &Option<syn::LitStr>, link: &Link) -> &'static str {
    let Some(lit) = lit else {
        return "no action";
    };
    if !matches!(link, Link::ManyToOne { .. }) {
        cx.error_spanned_by(
            lit,
            "`on_delete` sets the action of a foreign key this entity holds: write it on the many-to-one; \
             on a one-to-many or one-to-one, `cascade = \"delete\"` deletes the targets",
        );
        return "no action";
    }
    let value = lit.value().to_ascii_lowercase();
    match ON_DELETE_ACTIONS.iter().find(|a| **a == value) {
        Some(action) => action,
        None => {
            cx.error_spanned_by(
                lit,
                format!(
                    "unknown `on_delete` action `{value}`: {}",
                    valid_choices(&value, ON_DELETE_ACTIONS)
                ),
            );
            "no action"
        }
    }
}
