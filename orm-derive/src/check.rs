//! Rules that span several fields or attributes, run on the built model.

use crate::model::ast::Model;
use crate::model::ctxt::Ctxt;

/// Names the Entity trait reserves on the struct; a column constant with one
/// of them would shadow it.
const RESERVED_CONSTANTS: &[&str] = &["META"];

pub fn check(cx: &Ctxt, model: &Model) {
    if model.primary_key.is_empty() {
        cx.error_spanned_by(
            &model.ident,
            format!(
                "`{}` has no primary key: mark its key field (or fields) with #[orm(primary_key)]",
                model.ident
            ),
        );
    }
    for (i, column) in model.columns.iter().enumerate() {
        if let Some(first) = model.columns[..i].iter().find(|c| c.name == column.name) {
            cx.syn_error(syn::Error::new(
                column.name_span,
                format!(
                    "column `{}` is mapped twice (also by field `{}`); give one of them #[orm(column = \"...\")]",
                    column.name, first.ident
                ),
            ));
        }
        if RESERVED_CONSTANTS.iter().any(|r| column.constant == r) {
            cx.error_spanned_by(
                &column.ident,
                format!(
                    "field `{}` would generate the constant `{}`, which `Entity` reserves; rename the field and keep the column with #[orm(column = \"{}\")]",
                    column.ident, column.constant, column.name
                ),
            );
        }
    }
}
