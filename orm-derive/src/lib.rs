//! The `#[derive(Entity)]` macro of eagerly. Use it through the `eagerly`
//! crate, whose documentation of `Entity` is the attribute reference.
//!
//! The derive runs in three steps: `model` parses the attributes into a
//! validated model (collecting every error with its span), `check` applies
//! rules that span fields, and `expand` generates code from the model alone.

mod check;
mod expand;
mod model;
#[cfg(test)]
mod tests;

#[doc = include_str!("../DERIVE.md")]
#[proc_macro_derive(Entity, attributes(orm, relationship))]
pub fn derive_entity(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand::derive_entity(input.into()).into()
}
