pub mod composite;
pub mod eager;
pub mod graph;
pub mod library;
pub mod matrix;
#[cfg(feature = "postgres")]
pub mod pg;
pub mod recorder;
