//! The constant SQL of an entity, written at compile time.

use crate::model::ast::Model;

/// Double-quotes an identifier, doubling embedded quotes, so keywords such as
/// `order` and odd names are always legal.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub struct Statements {
    pub select: String,
    pub key_match: String,
    pub count: String,
    pub insert: String,
    pub insert_without_key: String,
    pub update: String,
    pub delete: String,
}

pub fn statements(model: &Model) -> Statements {
    let table = quote_ident(&model.table);
    let quoted: Vec<String> = model.columns.iter().map(|c| quote_ident(&c.name)).collect();
    let key_match = model
        .primary_key
        .iter()
        .map(|&i| format!("{} = ?", quoted[i]))
        .collect::<Vec<_>>()
        .join(" AND ");
    let select = format!("SELECT {} FROM {table}", quoted.join(", "));
    let insert_of = |columns: &[&String]| {
        if columns.is_empty() {
            return format!("INSERT INTO {table} DEFAULT VALUES");
        }
        let names: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
        let marks = vec!["?"; columns.len()].join(", ");
        format!(
            "INSERT INTO {table} ({}) VALUES ({marks})",
            names.join(", ")
        )
    };
    let all: Vec<&String> = quoted.iter().collect();
    let non_key: Vec<&String> = quoted
        .iter()
        .enumerate()
        .filter(|(i, _)| !model.primary_key.contains(i))
        .map(|(_, q)| q)
        .collect();
    let insert_without_key = if model.auto_key() {
        insert_of(&non_key)
    } else {
        insert_of(&all)
    };
    let update = if non_key.is_empty() {
        String::new()
    } else {
        let sets: Vec<String> = non_key.iter().map(|q| format!("{q} = ?")).collect();
        format!("UPDATE {table} SET {} WHERE {key_match}", sets.join(", "))
    };
    Statements {
        select,
        count: format!("SELECT COUNT(*) FROM {table}"),
        insert: insert_of(&all),
        insert_without_key,
        update,
        delete: format!("DELETE FROM {table} WHERE {key_match}"),
        key_match,
    }
}
