//! Code generation from the validated model.

mod relation;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::check;
use crate::model::ast::{Link, Model, Wrapper};
use crate::model::ctxt::Ctxt;

/// The whole derive: parse, validate, expand. Errors come back as
/// `compile_error!` tokens, all of them at once.
pub fn derive_entity(input: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let cx = Ctxt::default();
    let model = Model::from_ast(&cx, &input);
    if let Some(model) = &model {
        check::check(&cx, model);
    }
    let expandable = model.as_ref().is_some_and(|m| check::expandable(m, &input));
    match (cx.finish(), model) {
        // An invalid link is built only next to its error; should one ever
        // come without, refuse rather than expand a relation that reads nothing.
        (Ok(()), Some(model))
            if model
                .relations
                .iter()
                .any(|r| matches!(r.link, Link::Invalid)) =>
        {
            syn::Error::new_spanned(
                &model.ident,
                "#[derive(Entity)]: a relationship's link could not be read",
            )
            .to_compile_error()
        }
        (Ok(()), Some(model)) => expand(&model),
        // Like thiserror's fallback: when the struct's shape is sound, emit
        // the impl next to the errors so one bad attribute does not cascade
        // into "not an entity" errors wherever the struct is used.
        (Err(mut errors), Some(model)) if expandable => {
            errors.extend(expand(&model));
            errors
        }
        (Err(errors), _) => errors,
        (Ok(()), None) => TokenStream::new(),
    }
}

fn expand(model: &Model) -> TokenStream {
    let krate = &model.krate;
    let ident = &model.ident;
    let table = &model.table;
    let name = ident.to_string();

    let constants = model.columns.iter().enumerate().map(|(index, column)| {
        let constant = &column.constant;
        let ty = &column.ty;
        let column_name = &column.name;
        let role = if column.primary_key { ", part of the primary key" } else { "" };
        let doc = format!(
            "Column `{column_name}` of table `{table}` (field `{}`{role}), for filters and ordering.",
            column.ident
        );
        let field = &column.ident;
        quote! {
            #[doc = #doc]
            pub const #constant: #krate::Column<#ident, #ty> = #krate::Column::new(
                #column_name,
                #index,
                |entity: &#ident| &entity.#field,
                |entity: &mut #ident| &mut entity.#field,
            );
        }
    });

    let column_metas = model.columns.iter().map(|column| {
        let ty = &column.ty;
        let column_name = &column.name;
        let field = column.ident.to_string();
        let primary_key = column.primary_key;
        let some = |value: &Option<String>| match value {
            Some(text) => quote!(::core::option::Option::Some(#text)),
            None => quote!(::core::option::Option::None),
        };
        let unique = some(&column.unique);
        let index = column.index;
        let default = some(&column.default);
        let check = some(&column.check);
        quote_spanned! {ty.span()=>
            #krate::__private::ColumnMetaParts {
                name: #column_name,
                field: #field,
                sql_type: <#ty as #krate::ColumnType>::SQL_TYPE,
                nullable: <#ty as #krate::ColumnType>::NULLABLE,
                primary_key: #primary_key,
                unique: #unique,
                index: #index,
                default: #default,
                check: #check,
            }
            .build()
        }
    });

    // Decodes column `index` from the row position `position` (tokens).
    let decode_at = |index: usize, position: TokenStream| {
        let column = &model.columns[index];
        let ty = &column.ty;
        let column_name = &column.name;
        quote_spanned! {ty.span()=>
            #krate::__private::decode(row, #position, #table, #column_name, <#ty as #krate::ColumnType>::from_value)?
        }
    };
    let decode_column = |index: usize| decode_at(index, quote!(offset + #index));
    // A single key is its value; a composite key is a tuple.
    let key_of = |parts: Vec<TokenStream>| {
        if parts.len() == 1 {
            quote!(#(#parts)*)
        } else {
            quote!((#(#parts,)*))
        }
    };
    let field_decoders = model
        .columns
        .iter()
        .enumerate()
        .map(|(index, column)| {
            let field = &column.ident;
            let decode = decode_column(index);
            quote!(#field: #decode)
        })
        .chain(
            model
                .relations
                .iter()
                .map(|r| relation::field_init(model, r)),
        );
    let relation_constants = model.relations.iter().map(|r| relation::constant(model, r));
    let relation_refs = model
        .relations
        .iter()
        .map(|r| {
            let this = relation::path(model, r);
            quote_spanned!(syn::spanned::Spanned::span(&r.target)=> &#this)
        })
        .collect::<Vec<_>>();
    let relation_metas = model.relations.iter().map(|r| relation::path(model, r));
    let key_at = key_of(
        model
            .primary_key
            .iter()
            .enumerate()
            .map(|(position, &i)| decode_at(i, quote!(start + #position)))
            .collect(),
    );
    let key_from_row = key_of(
        model
            .primary_key
            .iter()
            .map(|&i| decode_column(i))
            .collect(),
    );
    let column_writers = model.columns.iter().map(|column| {
        let field = &column.ident;
        let ty = &column.ty;
        quote_spanned! {ty.span()=> out.push(<#ty as #krate::ColumnType>::to_value(&self.#field)); }
    });

    let key_columns: Vec<_> = model
        .primary_key
        .iter()
        .map(|&i| &model.columns[i])
        .collect();
    let key_types = key_columns.iter().map(|c| &c.ty);
    let key_fields = key_columns.iter().map(|c| &c.ident);
    let key_type = key_of(key_types.map(|ty| quote!(#ty)).collect());
    let key_of_self = key_of(
        key_fields
            .map(|field| quote!(::core::clone::Clone::clone(&self.#field)))
            .collect(),
    );
    let key_values = if let [single] = key_columns.as_slice() {
        let ty = &single.ty;
        quote!(out.push(<#ty as #krate::ColumnType>::to_value(key));)
    } else {
        let positions = (0..key_columns.len()).map(syn::Index::from);
        let types = key_columns.iter().map(|c| &c.ty);
        quote!(#(out.push(<#types as #krate::ColumnType>::to_value(&key.#positions));)*)
    };

    let auto_key = model.auto_key();
    let assigned_key = auto_key.then(|| {
        let column = key_columns[0];
        let field = &column.ident;
        let ty = &column.ty;
        let column_name = &column.name;
        let type_name = quote!(#ty).to_string();
        quote! {
            fn key_unassigned(&self) -> bool {
                self.#field == 0
            }
            fn assign_key(&mut self, id: i64) -> #krate::Result<()> {
                self.#field = #krate::__private::assigned_key(id, #table, #column_name, #type_name)?;
                ::core::result::Result::Ok(())
            }
            fn assigned_key_fits(id: i64) -> bool {
                <#ty as ::core::convert::TryFrom<i64>>::try_from(id).is_ok()
            }
        }
    });

    let primary_key = &model.primary_key;

    // `serde::Serialize` when the runtime has its feature `serde` (the
    // macro writes nothing otherwise): columns by field name, then the
    // loaded `One` and `Many` relations.
    let field_name = |ident: &syn::Ident| ident.to_string().trim_start_matches("r#").to_owned();
    let serde_columns = model.columns.iter().map(|c| {
        let name = field_name(&c.ident);
        let field = &c.ident;
        quote!(#name => #field)
    });
    let serde_relations = model
        .relations
        .iter()
        .filter(|r| r.wrapper != Wrapper::Dynamic)
        .map(|r| {
            let name = field_name(&r.ident);
            let field = &r.ident;
            quote!(#name => #field)
        });

    quote! {
        #krate::__entity_serde! { #ident; #(#serde_columns),*; #(#serde_relations),* }

        impl #ident {
            /// Table, columns and relations of this entity (the same as
            /// `<Self as Record>::META`, nameable without the trait in scope).
            pub const META: &'static #krate::EntityMeta = <Self as #krate::Record>::META;
            #(#constants)*
            #(#relation_constants)*
        }

        impl #krate::Entity for #ident {
            type Itself = Self;

            fn relations() -> &'static [&'static dyn #krate::__private::ErasedRelation<Self>] {
                const RELATIONS: &[&dyn #krate::__private::ErasedRelation<#ident>] = &[#(#relation_refs),*];
                RELATIONS
            }
        }

        impl #krate::Record for #ident {
            type Key = #key_type;

            const META: &'static #krate::EntityMeta = &#krate::__private::EntityMetaParts {
                name: #name,
                table: #table,
                columns: &[#(#column_metas),*],
                primary_key: &[#(#primary_key),*],
                auto_key: #auto_key,
                relations: &[#(#relation_metas.meta()),*],
            }
            .build();

            fn cells() -> &'static [&'static dyn #krate::__private::RelationCell<Self>] {
                const CELLS: &[&dyn #krate::__private::RelationCell<#ident>] = &[#(#relation_refs),*];
                CELLS
            }

            fn key_at(row: &dyn #krate::__private::Row, start: usize) -> #krate::Result<Self::Key> {
                let key = #key_at;
                ::core::result::Result::Ok(key)
            }

            fn key(&self) -> Self::Key {
                #key_of_self
            }

            fn key_values(key: &Self::Key, out: &mut ::std::vec::Vec<#krate::Value>) {
                #key_values
            }

            fn key_from_row(row: &dyn #krate::__private::Row, offset: usize) -> #krate::Result<Self::Key> {
                let key = #key_from_row;
                ::core::result::Result::Ok(key)
            }

            fn from_row(row: &dyn #krate::__private::Row, offset: usize) -> #krate::Result<Self> {
                ::core::result::Result::Ok(#ident {
                    #(#field_decoders,)*
                })
            }

            fn column_values(&self, out: &mut ::std::vec::Vec<#krate::Value>) {
                #(#column_writers)*
            }

            #assigned_key
        }
    }
}
