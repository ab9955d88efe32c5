//! The validated model of one `#[derive(Entity)]` struct. Expansion sees only
//! this, never raw attributes.

use proc_macro2::Span;
use syn::ext::IdentExt;

use super::attr;
use super::ctxt::Ctxt;

/// A mapped struct.
pub struct Model {
    pub ident: syn::Ident,
    pub table: String,
    pub krate: syn::Path,
    pub columns: Vec<Column>,
    /// Positions in `columns` of the primary key, in field order.
    pub primary_key: Vec<usize>,
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

        let columns: Vec<Column> = fields
            .iter()
            .filter_map(|field| {
                let ident = field.ident.clone()?;
                let attrs = attr::Field::from_ast(cx, field);
                let unraw = ident.unraw().to_string();
                let (name, name_span) = match &attrs.column {
                    Some(lit) => (lit.value(), lit.span()),
                    None => (unraw.clone(), ident.span()),
                };
                Some(Column {
                    constant: syn::Ident::new(&unraw.to_uppercase(), ident.span()),
                    ident,
                    ty: field.ty.clone(),
                    name,
                    name_span,
                    primary_key: attrs.primary_key,
                })
            })
            .collect();

        let table = match container.table {
            Some(lit) => lit.value(),
            None => default_table_name(&input.ident.unraw().to_string()),
        };
        let krate = container
            .krate
            .unwrap_or_else(|| syn::parse_quote!(::eagerly));
        let primary_key = columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.primary_key)
            .map(|(i, _)| i)
            .collect();
        Some(Model {
            ident: input.ident.clone(),
            table,
            krate,
            columns,
            primary_key,
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
    name.push('s');
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
