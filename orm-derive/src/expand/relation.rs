//! Relation constants: metadata, field accessor, typed link and cached SQL.
//! Cross-struct facts (the target is an entity, its foreign-key field exists
//! and has the key's type) are left to the compiler through the emitted code,
//! spanned at the attribute that states them.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};

use super::sql::quote_ident;
use crate::model::ast::{Link, Model, Relation, Wrapper};

/// Gives every token of `tokens` the span `span`, so a type error in the
/// emitted check is reported at the user's attribute, not at the derive.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(group) => {
                let mut respanned = Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                TokenTree::Group(respanned)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}

fn strategy_variant(strategy: &str) -> syn::Ident {
    let mut name = strategy.to_owned();
    if let Some(first) = name.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    format_ident!("{}", name)
}

fn kind_variant(relation: &Relation) -> (syn::Ident, &'static str) {
    match (&relation.link, relation.wrapper) {
        (Link::ManyToOne { .. }, _) => (format_ident!("ManyToOne"), "many-to-one"),
        (Link::Remote { .. }, Wrapper::One) => (format_ident!("OneToOne"), "one-to-one"),
        (Link::Remote { .. }, _) => (format_ident!("OneToMany"), "one-to-many"),
        (Link::Secondary { .. }, _) => (format_ident!("ManyToMany"), "many-to-many"),
    }
}

/// The `pub const BOOKS: Relation<...>` item.
pub fn constant(model: &Model, relation: &Relation) -> TokenStream {
    let krate = &model.krate;
    let owner = &model.ident;
    let owner_name = owner.to_string();
    let field = &relation.ident;
    let field_name = field.to_string();
    let constant = &relation.constant;
    let target = &relation.target;
    // The bare struct name, however the path to it is spelt.
    let target_name = match target {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
    .unwrap_or_else(|| quote!(#target).to_string().replace(' ', ""));
    let ty = &relation.ty;
    let (kind, kind_text) = kind_variant(relation);
    let strategy = strategy_variant(relation.strategy);
    let innerjoin = relation.innerjoin;
    let chunk_size = relation.chunk_size;
    let join_depth = relation.join_depth;
    let optional = relation.optional;
    let span = relation.link_span;
    // Spanned at the target type, so a target that is not an entity is
    // reported there rather than at the derive.
    let relation_type = respan(
        quote!(#krate::Relation<#owner, #target, #ty>),
        syn::spanned::Spanned::span(target),
    );
    let fk_trait = respan(quote!(#krate::__private::ForeignKey), span);
    let owner_key = quote!(<#owner as #krate::Entity>::Key);
    let target_key = quote!(<#target as #krate::Entity>::Key);

    let order_by = relation.order_by.iter().map(|(column, descending)| {
        let constant = format_ident!(
            "{}",
            column.to_string().to_uppercase(),
            span = column.span()
        );
        quote_spanned!(column.span()=> (<#target>::#constant.quoted_name(), #descending))
    });

    let (foreign_key, secondary, target_foreign_key, link, link_text) = match &relation.link {
        Link::ManyToOne { columns } => {
            let quoted = columns.iter().map(|&i| quote_ident(&model.columns[i].name));
            let fields: Vec<syn::Ident> = columns
                .iter()
                .map(|&i| {
                    let mut field = model.columns[i].ident.clone();
                    field.set_span(span);
                    field
                })
                .collect();
            let extract = if let [single] = fields.as_slice() {
                quote_spanned!(span=> #fk_trait::<#target_key>::referenced_key(&parent.#single))
            } else {
                quote_spanned!(span=> ::core::option::Option::Some((#(#fk_trait::referenced_key(&parent.#fields)?,)*)))
            };
            let names: Vec<String> = columns
                .iter()
                .map(|&i| model.columns[i].name.clone())
                .collect();
            (
                quote!(&[#(#quoted),*]),
                quote!(::core::option::Option::None),
                quote!(&[]),
                quote!(#krate::__private::Link::ManyToOne { foreign_key: |parent: &#owner| #extract }),
                format!("foreign key `{}.{}`", model.table, names.join(", ")),
            )
        }
        Link::Remote { fields } => {
            let constants: Vec<syn::Ident> = fields
                .iter()
                .map(|f| format_ident!("{}", f.to_string().to_uppercase(), span = span))
                .collect();
            let quoted = constants
                .iter()
                .map(|c| quote_spanned!(span=> <#target>::#c.quoted_name()));
            let (extract, assign) = if let [single] = constants.as_slice() {
                (
                    quote_spanned!(span=> #fk_trait::<#owner_key>::referenced_key(<#target>::#single.value(target))),
                    quote_spanned!(span=> #fk_trait::<#owner_key>::set_key(<#target>::#single.value_mut(target), key)),
                )
            } else {
                let positions = (0..constants.len()).map(syn::Index::from);
                (
                    quote_spanned!(span=> ::core::option::Option::Some((#(#fk_trait::referenced_key(<#target>::#constants.value(target))?,)*))),
                    quote_spanned!(span=> { #(#fk_trait::set_key(<#target>::#constants.value_mut(target), &key.#positions);)* }),
                )
            };
            let names: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
            (
                quote!(&[#(#quoted),*]),
                quote!(::core::option::Option::None),
                quote!(&[]),
                quote! {
                    #krate::__private::Link::Remote {
                        foreign_key: |target: &#target| #extract,
                        set_foreign_key: |target: &mut #target, key: &#owner_key| #assign,
                    }
                },
                format!("foreign key `{}` on `{target_name}`", names.join(", ")),
            )
        }
        Link::Secondary {
            table,
            foreign_key,
            target_foreign_key,
        } => {
            let quoted_table = quote_ident(table);
            let fk = foreign_key.iter().map(|c| quote_ident(c));
            let target_fk = target_foreign_key.iter().map(|c| quote_ident(c));
            (
                quote!(&[#(#fk),*]),
                quote!(::core::option::Option::Some(#quoted_table)),
                quote!(&[#(#target_fk),*]),
                quote!(#krate::__private::Link::Secondary),
                format!(
                    "through `{table}` ({} -> {})",
                    foreign_key.join(", "),
                    target_foreign_key.join(", ")
                ),
            )
        }
    };

    let doc = format!(
        "Relation `{field_name}`: {kind_text} to `{target_name}`, {link_text}; default strategy `{}`. \
         Pass it to `session.load`, to loader options such as `selectin({owner_name}::{constant})`, or to `session.dynamic`.",
        relation.strategy
    );
    quote! {
        #[doc = #doc]
        pub const #constant: #relation_type = #krate::Relation::new(
            &#krate::__private::RelationMetaParts {
                owner: #owner_name,
                name: #field_name,
                target: #target_name,
                kind: #krate::RelationKind::#kind,
                lazy: #krate::Strategy::#strategy,
                innerjoin: #innerjoin,
                chunk_size: #chunk_size,
                join_depth: #join_depth,
                order_by: &[#(#order_by),*],
                foreign_key: #foreign_key,
                secondary: #secondary,
                target_foreign_key: #target_foreign_key,
                optional: #optional,
                owner_meta: || <#owner as #krate::Entity>::META,
                target_meta: || <#target as #krate::Entity>::META,
                owner_type: ::core::any::TypeId::of::<#owner>,
                target_type: ::core::any::TypeId::of::<#target>,
            }
            .build(),
            |parent: &#owner| &parent.#field,
            #link,
            {
                fn sql() -> &'static #krate::__private::RelationSql {
                    static SQL: #krate::__private::OnceLock<#krate::__private::RelationSql> = #krate::__private::OnceLock::new();
                    SQL.get_or_init(|| #krate::__private::RelationSql::build(#owner::#constant.meta()))
                }
                sql
            },
        );
    }
}

/// The field initializer of a freshly decoded object: unloaded, knowing its relation.
pub fn field_init(model: &Model, relation: &Relation) -> TokenStream {
    let krate = &model.krate;
    let owner = &model.ident;
    let field = &relation.ident;
    let constant = &relation.constant;
    match relation.wrapper {
        Wrapper::One => quote!(#field: #krate::One::for_relation(#owner::#constant.meta())),
        Wrapper::Many => quote!(#field: #krate::Many::for_relation(#owner::#constant.meta())),
        Wrapper::Dynamic => quote!(#field: #krate::Dynamic::new()),
    }
}
