//! Mapping-level strategies: `library_mapping!` maps the library's tables
//! again with the strategy of every relation given, so a test can declare
//! exactly the defaults it needs (`lazy = "selectin"`, `"joined"`, `"bulk"`,
//! `"raise"`, `"noload"`, ...). Use the mapped module on a session made by
//! [`super::library::library`]: the tables are the same.

#![allow(dead_code)]

/// `library_mapping!(mod name { books: "selectin", bio: "select", author:
/// "select", editor: "select", tags: "select", tag_books: "select", parent:
/// "select", children: "select" })`, optionally followed by
/// `chunk_size: N` (every relation) and `join_depth: N` (both category
/// relations). Maps `Author`, `Book`, `Tag`, `Biography` and `Category`
/// like `library` does, with those strategies.
#[allow(unused_macros)]
macro_rules! library_mapping {
    ($vis:vis mod $m:ident {
        books: $books:tt,
        bio: $bio:tt,
        author: $author:tt,
        editor: $editor:tt,
        tags: $tags:tt,
        tag_books: $tag_books:tt,
        parent: $parent:tt,
        children: $children:tt
        $(, chunk_size: $chunk:tt)?
        $(, join_depth: $depth:tt)?
        $(,)?
    }) => {
        #[allow(dead_code)]
        $vis mod $m {
            use eagerly::prelude::*;
            use eagerly::{Dynamic, Many, One};

            #[derive(Entity, Debug)]
            #[orm(table = "authors")]
            pub struct Author {
                #[orm(primary_key)]
                pub id: i64,
                pub name: String,
                #[relationship(foreign_key = "author_id", order_by = "id", lazy = $books $(, chunk_size = $chunk)?)]
                pub books: Many<Book>,
                #[relationship(foreign_key = "author_id", lazy = $bio $(, chunk_size = $chunk)?)]
                pub bio: One<Biography>,
                #[relationship(foreign_key = "author_id")]
                pub book_query: Dynamic<Book>,
            }

            #[derive(Entity, Debug)]
            #[orm(table = "books")]
            pub struct Book {
                #[orm(primary_key)]
                pub id: i64,
                pub title: String,
                pub author_id: i64,
                pub editor_id: Option<i64>,
                #[relationship(foreign_key = "author_id", lazy = $author $(, chunk_size = $chunk)?)]
                pub author: One<Author>,
                #[relationship(foreign_key = "editor_id", lazy = $editor $(, chunk_size = $chunk)?)]
                pub editor: One<Author>,
                #[relationship(secondary = "book_tags", foreign_key = "book_id", target_foreign_key = "tag_id", order_by = "name", lazy = $tags $(, chunk_size = $chunk)?)]
                pub tags: Many<Tag>,
            }

            #[derive(Entity, Debug)]
            #[orm(table = "tags")]
            pub struct Tag {
                #[orm(primary_key)]
                pub id: i64,
                pub name: String,
                #[relationship(secondary = "book_tags", foreign_key = "tag_id", target_foreign_key = "book_id", order_by = "id", lazy = $tag_books $(, chunk_size = $chunk)?)]
                pub books: Many<Book>,
            }

            #[derive(Entity, Debug)]
            #[orm(table = "biographies")]
            pub struct Biography {
                #[orm(primary_key)]
                pub id: i64,
                pub author_id: i64,
                pub text: String,
            }

            #[derive(Entity, Debug)]
            #[orm(table = "categories")]
            pub struct Category {
                #[orm(primary_key)]
                pub id: i64,
                pub parent_id: Option<i64>,
                pub name: String,
                #[relationship(foreign_key = "parent_id", lazy = $parent $(, chunk_size = $chunk)? $(, join_depth = $depth)?)]
                pub parent: One<Category>,
                #[relationship(foreign_key = "parent_id", order_by = "id", lazy = $children $(, chunk_size = $chunk)? $(, join_depth = $depth)?)]
                pub children: Many<Category>,
            }
        }
    };
}

#[allow(unused_imports)]
pub(crate) use library_mapping;

/// `single_relation_mappings!(mod name, "strategy")` maps the library's
/// tables again, one struct per relation kind, each holding only that
/// relation with the given mapping default and pointing at the `library`
/// entities (whose relations are all `select`), so loading it cascades
/// nowhere: `AuthorBooks.books` (one-to-many), `AuthorBio.bio`
/// (one-to-one), `BookAuthor.author` (many-to-one), `BookEditor.editor`
/// (optional many-to-one), `BookTags.tags` and `TagBooks.books`
/// (many-to-many), `CategoryChildren.children` and `CategoryParent.parent`
/// (the self-referential table).
#[allow(unused_macros)]
macro_rules! single_relation_mappings {
    ($vis:vis mod $m:ident, $lazy:tt $(, chunk_size: $chunk:tt)?) => {
        #[allow(dead_code)]
        $vis mod $m {
            use eagerly::prelude::*;
            use eagerly::{Many, One};

            use crate::support::library;

            #[derive(Entity, Debug)]
            #[orm(table = "authors")]
            pub struct AuthorBooks {
                #[orm(primary_key)]
                pub id: i64,
                pub name: String,
                #[relationship(foreign_key = "author_id", order_by = "id", lazy = $lazy $(, chunk_size = $chunk)?)]
                pub books: Many<library::Book>,
            }

            #[derive(Entity, Debug)]
            #[orm(table = "authors")]
            pub struct AuthorBio {
                #[orm(primary_key)]
                pub id: i64,
                pub name: String,
                #[relationship(foreign_key = "author_id", lazy = $lazy $(, chunk_size = $chunk)?)]
                pub bio: One<library::Biography>,
            }

            #[derive(Entity, Debug)]
            #[orm(table = "books")]
            pub struct BookAuthor {
                #[orm(primary_key)]
                pub id: i64,
                pub title: String,
                pub author_id: i64,
                pub editor_id: Option<i64>,
                #[relationship(foreign_key = "author_id", lazy = $lazy $(, chunk_size = $chunk)?)]
                pub author: One<library::Author>,
            }

            #[derive(Entity, Debug)]
            #[orm(table = "books")]
            pub struct BookEditor {
                #[orm(primary_key)]
                pub id: i64,
                pub title: String,
                pub author_id: i64,
                pub editor_id: Option<i64>,
                #[relationship(foreign_key = "editor_id", lazy = $lazy $(, chunk_size = $chunk)?)]
                pub editor: One<library::Author>,
            }

            #[derive(Entity, Debug)]
            #[orm(table = "books")]
            pub struct BookTags {
                #[orm(primary_key)]
                pub id: i64,
                pub title: String,
                pub author_id: i64,
                pub editor_id: Option<i64>,
                #[relationship(secondary = "book_tags", foreign_key = "book_id", target_foreign_key = "tag_id", order_by = "name", lazy = $lazy $(, chunk_size = $chunk)?)]
                pub tags: Many<library::Tag>,
            }

            #[derive(Entity, Debug)]
            #[orm(table = "tags")]
            pub struct TagBooks {
                #[orm(primary_key)]
                pub id: i64,
                pub name: String,
                #[relationship(secondary = "book_tags", foreign_key = "tag_id", target_foreign_key = "book_id", order_by = "id", lazy = $lazy $(, chunk_size = $chunk)?)]
                pub books: Many<library::Book>,
            }

            #[derive(Entity, Debug)]
            #[orm(table = "categories")]
            pub struct CategoryChildren {
                #[orm(primary_key)]
                pub id: i64,
                pub parent_id: Option<i64>,
                pub name: String,
                #[relationship(foreign_key = "parent_id", order_by = "id", lazy = $lazy $(, chunk_size = $chunk)?)]
                pub children: Many<library::Category>,
            }

            #[derive(Entity, Debug)]
            #[orm(table = "categories")]
            pub struct CategoryParent {
                #[orm(primary_key)]
                pub id: i64,
                pub parent_id: Option<i64>,
                pub name: String,
                #[relationship(foreign_key = "parent_id", lazy = $lazy $(, chunk_size = $chunk)?)]
                pub parent: One<library::Category>,
            }
        }
    };
}

#[allow(unused_imports)]
pub(crate) use single_relation_mappings;
