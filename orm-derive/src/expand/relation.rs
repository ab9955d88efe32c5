//! Relation constants: metadata, field accessor, typed link and cached SQL.
//! Cross-struct facts (the target is an entity, its foreign-key field exists
//! and has the key's type) are left to the compiler through the emitted code,
//! spanned at the attribute that states them.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};

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
        (Link::Invalid, Wrapper::One) => (format_ident!("ManyToOne"), "many-to-one"),
        (Link::Invalid, _) => (format_ident!("OneToMany"), "one-to-many"),
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
    // Every use of the target goes through `<T as Entity>::Itself`, spanned
    // at the target type: when `T` is not an entity, that projection fails
    // with one message at one place, and what is built on it (its key, its
    // column constants, the relation's type) stays silent instead of
    // repeating the error.
    let target_span = syn::spanned::Spanned::span(target);
    let target = &respan(quote!(<#target as #krate::Entity>::Itself), target_span);
    // The target's column constants this relation reads (foreign key on the
    // target, order_by), for the stand-in below. The path to one is spanned
    // at the target type and what is done with it at the attribute naming it.
    let mut target_columns: Vec<(syn::Ident, String)> = Vec::new();
    let column_path = |constant: &syn::Ident| respan(quote!(<#target>::#constant), target_span);
    let ty = &relation.ty;
    let (kind, kind_text) = kind_variant(relation);
    let strategy = strategy_variant(relation.strategy);
    let innerjoin = relation.innerjoin;
    let cascade_delete = relation.cascade_delete;
    let delete_orphan = relation.delete_orphan;
    let on_delete = match relation.on_delete {
        "cascade" => quote!(Cascade),
        "set null" => quote!(SetNull),
        _ => quote!(NoAction),
    };
    let chunk_size = relation.chunk_size;
    let chunk_size_explicit = relation.chunk_size_explicit;
    let join_depth = relation.join_depth;
    let optional = relation.optional;
    let span = relation.link_span;
    let relation_type = respan(quote!(#krate::Relation<#owner, #target, #ty>), target_span);
    let fk_trait = respan(quote!(#krate::__private::ForeignKey), span);
    let owner_key = quote!(<#owner as #krate::Record>::Key);
    let target_key = quote!(<#target as #krate::Record>::Key);

    let order_by: Vec<TokenStream> = relation
        .order_by
        .iter()
        .map(|(column, descending)| {
            let constant = format_ident!(
                "{}",
                column.to_string().to_uppercase(),
                span = column.span()
            );
            target_columns.push((constant.clone(), column.to_string()));
            let path = column_path(&constant);
            quote_spanned!(column.span()=> (#path.name(), #descending))
        })
        .collect();

    let (foreign_key, secondary, target_foreign_key, link, link_text) = match &relation.link {
        Link::ManyToOne { columns } => {
            let names_of = columns.iter().map(|&i| model.columns[i].name.as_str());
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
                quote!(&[#(#names_of),*]),
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
            target_columns.extend(
                constants
                    .iter()
                    .cloned()
                    .zip(fields.iter().map(|f| f.to_string())),
            );
            let paths: Vec<TokenStream> = constants.iter().map(column_path).collect();
            let column_names = paths.iter().map(|c| quote_spanned!(span=> #c.name()));
            // The field is bound first, so that a foreign key of the wrong
            // type is reported at the attribute alone.
            let bound: Vec<syn::Ident> = (0..paths.len())
                .map(|i| format_ident!("field{}", i, span = span))
                .collect();
            let (extract, assign) =
                if let ([single], [field]) = (paths.as_slice(), bound.as_slice()) {
                    (
                        quote_spanned!(span=> {
                            let #field = #single.value(target);
                            #fk_trait::<#owner_key>::referenced_key(#field)
                        }),
                        quote_spanned!(span=> {
                            let #field = #single.value_mut(target);
                            #fk_trait::<#owner_key>::set_key(#field, key)
                        }),
                    )
                } else {
                    let positions = (0..paths.len()).map(syn::Index::from);
                    (
                        quote_spanned!(span=> {
                            #(let #bound = #paths.value(target);)*
                            ::core::option::Option::Some((#(#fk_trait::referenced_key(#bound)?,)*))
                        }),
                        quote_spanned!(span=> {
                            #({
                                let #bound = #paths.value_mut(target);
                                #fk_trait::set_key(#bound, &key.#positions);
                            })*
                        }),
                    )
                };
            let names: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
            (
                quote!(&[#(#column_names),*]),
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
        // Only ever expanded next to the error that made it invalid.
        Link::Invalid => (
            quote!(&[]),
            quote!(::core::option::Option::None),
            quote!(&[]),
            quote!(#krate::__private::Link::Secondary),
            "with an invalid link".to_owned(),
        ),
        Link::Secondary {
            table,
            foreign_key,
            target_foreign_key,
        } => {
            let fk = foreign_key.iter();
            let target_fk = target_foreign_key.iter();
            (
                quote!(&[#(#fk),*]),
                quote!(::core::option::Option::Some(#table)),
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

    let use_text = if relation.wrapper == Wrapper::Dynamic {
        format!(
            "A query: pass it to `session.dynamic({owner_name}::{constant}, &parent)` \
             (loader options and `session.load` do not take it)."
        )
    } else {
        format!(
            "Pass it to `session.load` or to loader options such as `selectin({owner_name}::{constant})`."
        )
    };
    let field_type = quote!(#ty).to_string().replace(' ', "");
    let doc = format!(
        "Relation `{field_name}`: {kind_text} to `{target_name}`, {link_text}; default strategy `{}`. \
         {use_text} Its type is `Relation<{owner_name}, {target_name}, {field_type}>`.",
        relation.strategy
    );
    target_columns.sort();
    target_columns.dedup_by(|a, b| a.0 == b.0);
    // Stand-ins for the target's column constants, in a trait in scope
    // implemented for every type. An entity's own constants are inherent and
    // win; a lookup falls back to a stand-in only when the target has no such
    // constant: when it is not an entity (reported once, at the type: the
    // stand-in stays silent) or when it has no such field (the stand-in's
    // `HasField` bound reports that, at the attribute naming the field).
    let stand_in = (!target_columns.is_empty()).then(|| {
        let constants = target_columns.iter().map(|(constant, _)| constant);
        let constants_again = constants.clone();
        let names: Vec<syn::Ident> = target_columns
            .iter()
            .map(|(constant, field)| marker(field, constant.span()))
            .collect();
        quote! {
            // Named after the fields for the message; enums, so that no
            // value of that name shadows a binding below.
            #(#[allow(non_camel_case_types)] enum #names {})*
            #[allow(dead_code, non_camel_case_types)]
            trait target_columns {
                #(const #constants: #krate::__private::NoColumn<Self, #names>;)*
            }
            impl<T: ?::core::marker::Sized> target_columns for T {
                #(const #constants_again: #krate::__private::NoColumn<Self, #names> = #krate::__private::NoColumn::NEW;)*
            }
        }
    });
    // Spanned at the target type like every use of it, so that when the
    // target is not an entity the failures coincide and are reported once.
    let value = quote_spanned! {target_span=> {
        #stand_in
        #krate::Relation::new(
            &#krate::__private::RelationMetaParts {
                owner: #owner_name,
                name: #field_name,
                target: #target_name,
                kind: #krate::RelationKind::#kind,
                lazy: #krate::Strategy::#strategy,
                innerjoin: #innerjoin,
                chunk_size: #chunk_size,
                chunk_size_explicit: #chunk_size_explicit,
                join_depth: #join_depth,
                order_by: &[#(#order_by),*],
                foreign_key: #foreign_key,
                secondary: #secondary,
                target_foreign_key: #target_foreign_key,
                optional: #optional,
                cascade_delete: #cascade_delete,
                delete_orphan: #delete_orphan,
                on_delete: #krate::OnDelete::#on_delete,
                owner_meta: || <#owner as #krate::Record>::META,
                target_meta: || <#target as #krate::Record>::META,
                owner_type: ::core::any::TypeId::of::<#owner>,
                target_type: ::core::any::TypeId::of::<#target>,
            }
            .build(),
            |parent: &#owner| &parent.#field,
            #link,
        )
    }};
    quote! {
        #[doc = #doc]
        pub const #constant: #relation_type = #value;
    }
}

/// The marker type named after field `name`, for the missing-field message:
/// the name itself when it is an identifier, raw when it is a keyword.
fn marker(name: &str, span: Span) -> syn::Ident {
    if syn::parse_str::<syn::Ident>(name).is_ok() {
        syn::Ident::new(name, span)
    } else if matches!(name, "self" | "Self" | "super" | "crate") {
        // Keywords that cannot be raw identifiers.
        format_ident!("field_{}", name, span = span)
    } else {
        syn::Ident::new_raw(name, span)
    }
}

/// `Owner::CONSTANT`, spanned at the target type: the constant's type names
/// the target, so a target that is not an entity is reported where every
/// reference to it is, once.
pub fn path(model: &Model, relation: &Relation) -> TokenStream {
    let owner = &model.ident;
    let constant = &relation.constant;
    respan(
        quote!(#owner::#constant),
        syn::spanned::Spanned::span(&relation.target),
    )
}

/// The field initializer of a freshly decoded object: unloaded, knowing its relation.
pub fn field_init(model: &Model, relation: &Relation) -> TokenStream {
    let krate = &model.krate;
    let field = &relation.ident;
    let this = path(model, relation);
    match relation.wrapper {
        Wrapper::One | Wrapper::Many => {
            let wrapper = match relation.wrapper {
                Wrapper::One => quote!(One),
                _ => quote!(Many),
            };
            quote!(#field: #krate::#wrapper::for_relation(
                {
                    static INDEX: #krate::__private::RelationIndex = #krate::__private::RelationIndex::new();
                    &INDEX
                },
                #this.meta(),
            ))
        }
        Wrapper::Dynamic => quote!(#field: #krate::Dynamic::new()),
    }
}
