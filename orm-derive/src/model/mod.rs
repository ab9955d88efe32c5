//! Front end: attributes in, validated model out.

pub mod ast;
pub mod attr;
pub mod ctxt;
pub mod suggest;
pub mod symbol;
