//! Reading `#[orm(...)]` attributes into typed values. Errors go to the
//! [`Ctxt`] and parsing carries on, so every bad key is reported.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;

use super::ctxt::Ctxt;
use super::suggest::valid_choices;
use super::symbol::*;

/// One attribute value that may be given at most once.
pub struct Attr<'c, T> {
    cx: &'c Ctxt,
    name: &'static str,
    value: Option<T>,
}

impl<'c, T> Attr<'c, T> {
    pub fn none(cx: &'c Ctxt, name: &'static str) -> Self {
        Attr {
            cx,
            name,
            value: None,
        }
    }

    /// Stores `value`, or reports a duplicate at `tokens`.
    pub fn set(&mut self, tokens: impl ToTokens, value: T) {
        if self.value.is_some() {
            self.cx
                .error_spanned_by(tokens, format!("duplicate `{}` attribute", self.name));
        } else {
            self.value = Some(value);
        }
    }

    pub fn get(self) -> Option<T> {
        self.value
    }
}

/// The struct-level `#[orm(...)]` keys.
pub struct Container {
    pub table: Option<syn::LitStr>,
    pub krate: Option<syn::Path>,
}

impl Container {
    pub fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute]) -> Container {
        let mut table = Attr::none(cx, TABLE);
        let mut krate = Attr::none(cx, CRATE);
        for attr in attrs.iter().filter(|a| a.path().is_ident(ORM)) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(TABLE) {
                    if let Some(name) = string_value(cx, TABLE, &meta)? {
                        if name.value().is_empty() {
                            cx.error_spanned_by(&name, "`table` must not be empty");
                        }
                        table.set(&meta.path, name);
                    }
                } else if meta.path.is_ident(CRATE) {
                    if let Some(path) = string_value(cx, CRATE, &meta)? {
                        match path.parse::<syn::Path>() {
                            Ok(parsed) => krate.set(&meta.path, parsed),
                            Err(_) => cx.error_spanned_by(
                                &path,
                                "`crate` expects a path, e.g. `crate = \"eagerly\"`",
                            ),
                        }
                    }
                } else {
                    unknown_key(cx, &meta, "struct", CONTAINER_KEYS)?;
                }
                Ok(())
            });
            if let Err(error) = parsed {
                cx.syn_error(error);
            }
        }
        Container {
            table: table.get(),
            krate: krate.get(),
        }
    }
}

/// A field's `#[orm(...)]` keys.
pub struct Field {
    pub primary_key: bool,
    pub column: Option<syn::LitStr>,
    /// `unique` (`None` inside: the column alone) or `unique = "name"`,
    /// with the key's path for errors about it.
    pub unique: Option<(syn::Path, Option<syn::LitStr>)>,
    pub index: Option<syn::Path>,
    pub default: Option<syn::LitStr>,
    pub check: Option<syn::LitStr>,
}

impl Field {
    pub fn from_ast(cx: &Ctxt, field: &syn::Field) -> Field {
        let mut primary_key = Attr::none(cx, PRIMARY_KEY);
        let mut column = Attr::none(cx, COLUMN);
        let mut unique = Attr::none(cx, UNIQUE);
        let mut index = Attr::none(cx, INDEX);
        let mut default = Attr::none(cx, DEFAULT);
        let mut check = Attr::none(cx, CHECK);
        for attr in field.attrs.iter().filter(|a| a.path().is_ident(ORM)) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(PRIMARY_KEY) {
                    flag(cx, PRIMARY_KEY, &meta)?;
                    primary_key.set(&meta.path, ());
                } else if meta.path.is_ident(INDEX) {
                    flag(cx, INDEX, &meta)?;
                    index.set(&meta.path, meta.path.clone());
                } else if meta.path.is_ident(UNIQUE) {
                    if meta.input.peek(syn::Token![=]) {
                        if let Some(name) = string_value(cx, UNIQUE, &meta)? {
                            if name.value().trim().is_empty() {
                                cx.error_spanned_by(&name, "`unique` must not name an empty constraint: write `#[orm(unique)]` for a column unique alone");
                            }
                            unique.set(&meta.path, (meta.path.clone(), Some(name)));
                        }
                    } else {
                        flag(cx, UNIQUE, &meta)?;
                        unique.set(&meta.path, (meta.path.clone(), None));
                    }
                } else if meta.path.is_ident(COLUMN) {
                    if let Some(name) = string_value(cx, COLUMN, &meta)? {
                        if name.value().is_empty() {
                            cx.error_spanned_by(&name, "`column` must not be empty");
                        }
                        column.set(&meta.path, name);
                    }
                } else if meta.path.is_ident(DEFAULT) || meta.path.is_ident(CHECK) {
                    let (key, slot) = if meta.path.is_ident(DEFAULT) {
                        (DEFAULT, &mut default)
                    } else {
                        (CHECK, &mut check)
                    };
                    if let Some(expression) = string_value(cx, key, &meta)? {
                        if expression.value().trim().is_empty() {
                            cx.error_spanned_by(
                                &expression,
                                format!("`{key}` must not be empty: it is an SQL expression"),
                            );
                        }
                        slot.set(&meta.path, expression);
                    }
                } else {
                    unknown_key(cx, &meta, "field", FIELD_KEYS)?;
                }
                Ok(())
            });
            if let Err(error) = parsed {
                cx.syn_error(error);
            }
        }
        Field {
            primary_key: primary_key.get().is_some(),
            column: column.get(),
            unique: unique.get(),
            index: index.get(),
            default: default.get(),
            check: check.get(),
        }
    }
}

/// Reports a value after a key that takes none (`#[orm(index)]`), then
/// skips it.
fn flag(cx: &Ctxt, key: &str, meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) || meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{key}` takes no value: write `#[orm({key})]`"),
        );
        skip_value(meta)?;
    }
    Ok(())
}

/// Reads `key = "string"`, reporting anything else; `Ok(None)` after a
/// reported error so parsing can go on.
pub fn string_value(
    cx: &Ctxt,
    key: &str,
    meta: &ParseNestedMeta,
) -> syn::Result<Option<syn::LitStr>> {
    if !meta.input.peek(syn::Token![=]) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{key}` expects a value: `{key} = \"...\"`"),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let expr: syn::Expr = meta.value()?.parse()?;
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Ok(Some(s)),
        other => {
            cx.error_spanned_by(
                &other,
                format!("`{key}` expects a string literal, e.g. `{key} = \"name\"`"),
            );
            Ok(None)
        }
    }
}

/// Reports an unknown key with the valid ones and a near miss, then skips
/// its value.
pub fn unknown_key(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    place: &str,
    valid: &[&str],
) -> syn::Result<()> {
    let name = meta.path.to_token_stream().to_string().replace(' ', "");
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown {place} attribute `{name}`: {}",
            valid_choices(&name, valid)
        ),
    );
    skip_value(meta)
}

/// Consumes `= value` or `(...)` after a key whose error is already recorded.
pub fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _group: TokenStream = meta.input.parse::<proc_macro2::Group>()?.stream();
    }
    Ok(())
}

/// A field's `#[relationship(...)]` keys, as written.
#[derive(Default)]
pub struct Relationship {
    /// The (last) `#[relationship]` attribute, if any, for errors about it.
    pub present: Option<syn::Attribute>,
    pub lazy: Option<syn::LitStr>,
    pub foreign_key: Option<syn::LitStr>,
    pub secondary: Option<syn::LitStr>,
    pub target_foreign_key: Option<syn::LitStr>,
    pub order_by: Option<syn::LitStr>,
    pub innerjoin: Option<syn::LitBool>,
    pub chunk_size: Option<syn::LitInt>,
    pub join_depth: Option<syn::LitInt>,
    pub cascade: Option<syn::LitStr>,
    pub on_delete: Option<syn::LitStr>,
}

impl Relationship {
    pub fn from_ast(cx: &Ctxt, field: &syn::Field) -> Relationship {
        let mut lazy = Attr::none(cx, LAZY);
        let mut foreign_key = Attr::none(cx, FOREIGN_KEY);
        let mut secondary = Attr::none(cx, SECONDARY);
        let mut target_foreign_key = Attr::none(cx, TARGET_FOREIGN_KEY);
        let mut order_by = Attr::none(cx, ORDER_BY);
        let mut innerjoin = Attr::none(cx, INNERJOIN);
        let mut chunk_size = Attr::none(cx, CHUNK_SIZE);
        let mut join_depth = Attr::none(cx, JOIN_DEPTH);
        let mut cascade = Attr::none(cx, CASCADE);
        let mut on_delete = Attr::none(cx, ON_DELETE);
        let mut present = None;
        for attr in field
            .attrs
            .iter()
            .filter(|a| a.path().is_ident(RELATIONSHIP))
        {
            present = Some(attr.clone());
            if matches!(attr.meta, syn::Meta::Path(_)) {
                continue; // a bare #[relationship] takes every default
            }
            let parsed = attr.parse_nested_meta(|meta| {
                let strings = [
                    (LAZY, &mut lazy),
                    (FOREIGN_KEY, &mut foreign_key),
                    (SECONDARY, &mut secondary),
                    (TARGET_FOREIGN_KEY, &mut target_foreign_key),
                    (ORDER_BY, &mut order_by),
                    (CASCADE, &mut cascade),
                    (ON_DELETE, &mut on_delete),
                ];
                for (key, slot) in strings {
                    if meta.path.is_ident(key) {
                        if let Some(value) = string_value(cx, key, &meta)? {
                            if value.value().trim().is_empty() {
                                cx.error_spanned_by(&value, format!("`{key}` must not be empty"));
                            }
                            slot.set(&meta.path, value);
                        }
                        return Ok(());
                    }
                }
                if meta.path.is_ident(INNERJOIN) {
                    if let Some(value) = typed_value::<syn::LitBool>(
                        cx,
                        INNERJOIN,
                        "a bool, e.g. `innerjoin = true`",
                        &meta,
                    )? {
                        innerjoin.set(&meta.path, value);
                    }
                } else if meta.path.is_ident(CHUNK_SIZE) {
                    if let Some(value) = typed_value::<syn::LitInt>(
                        cx,
                        CHUNK_SIZE,
                        "a positive integer, e.g. `chunk_size = 500`",
                        &meta,
                    )? {
                        chunk_size.set(&meta.path, value);
                    }
                } else if meta.path.is_ident(JOIN_DEPTH) {
                    if let Some(value) = typed_value::<syn::LitInt>(
                        cx,
                        JOIN_DEPTH,
                        "an integer, e.g. `join_depth = 2`",
                        &meta,
                    )? {
                        join_depth.set(&meta.path, value);
                    }
                } else {
                    unknown_key(cx, &meta, "relationship", RELATIONSHIP_KEYS)?;
                }
                Ok(())
            });
            if let Err(error) = parsed {
                cx.syn_error(error);
            }
        }
        Relationship {
            present,
            lazy: lazy.get(),
            foreign_key: foreign_key.get(),
            secondary: secondary.get(),
            target_foreign_key: target_foreign_key.get(),
            order_by: order_by.get(),
            innerjoin: innerjoin.get(),
            chunk_size: chunk_size.get(),
            join_depth: join_depth.get(),
            cascade: cascade.get(),
            on_delete: on_delete.get(),
        }
    }
}

/// Reads `key = <literal of type L>`, reporting anything else.
fn typed_value<L: syn::parse::Parse>(
    cx: &Ctxt,
    key: &str,
    expected: &str,
    meta: &ParseNestedMeta,
) -> syn::Result<Option<L>> {
    if !meta.input.peek(syn::Token![=]) {
        cx.error_spanned_by(&meta.path, format!("`{key}` expects {expected}"));
        skip_value(meta)?;
        return Ok(None);
    }
    let expr: syn::Expr = meta.value()?.parse()?;
    match syn::parse2::<L>(quote::ToTokens::to_token_stream(&expr)) {
        Ok(value) => Ok(Some(value)),
        Err(_) => {
            cx.error_spanned_by(&expr, format!("`{key}` expects {expected}"));
            Ok(None)
        }
    }
}
