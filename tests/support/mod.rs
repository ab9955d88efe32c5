pub mod composite;
pub mod eager;
pub mod graph;
pub mod library;
pub mod matrix;
pub mod recorder;
