//! Students and schools with `bulk`: the first access to one student's school
//! loads the school of every student in the session, in one IN statement.
//!
//! Run with `cargo run --example school`.

use eagerly::prelude::*;

#[derive(Entity, Debug)]
#[orm(table = "schools")]
pub struct School {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Entity, Debug)]
#[orm(table = "students")]
pub struct Student {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub school_id: i64,
    #[relationship(foreign_key = "school_id", lazy = "bulk")]
    pub school: One<School>,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    session.create_all(&[School::META, Student::META])?;
    session.transaction(|s| {
        for id in 1..=10 {
            s.insert(School {
                id,
                name: format!("school {id}"),
            })?;
        }
        for id in 1..=100 {
            s.insert(Student {
                id,
                name: format!("student {id}"),
                school_id: id % 10 + 1,
                school: One::new(),
            })?;
        }
        Ok(())
    })?;
    session.expunge_all();
    session.reset_statements();

    let students = session.query::<Student>().all()?;
    let mut named = 0;
    for student in &students {
        // The first call loads every student's school; the others read the
        // loaded relation and send nothing.
        if session.load(Student::SCHOOL, student)?.is_some() {
            named += 1;
        }
    }
    println!(
        "bulk: {} students, {named} with a school, {} statements",
        students.len(),
        session.statement_count()
    );
    for statement in session.statements() {
        println!("  [{} params] {}", statement.params, statement.sql);
    }
    Ok(())
}
