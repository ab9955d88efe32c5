use eagerly::prelude::*;

#[derive(Entity, Debug, PartialEq)]
pub struct Sample {
    #[orm(primary_key)]
    pub id: i64,
    pub small: i32,
    pub unsigned: u32,
    pub real: f64,
    pub flag: bool,
    pub text: String,
    pub bytes: Vec<u8>,
    pub maybe_id: Option<i64>,
    pub maybe_small: Option<i32>,
    pub maybe_unsigned: Option<u32>,
    pub maybe_real: Option<f64>,
    pub maybe_flag: Option<bool>,
    pub maybe_text: Option<String>,
    pub maybe_bytes: Option<Vec<u8>>,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    session.create_all(&[Sample::META])?;
    let full = session.insert(Sample {
        id: 0,
        small: -3,
        unsigned: 4,
        real: 1.5,
        flag: true,
        text: "text".into(),
        bytes: vec![0, 1, 2],
        maybe_id: Some(5),
        maybe_small: Some(-6),
        maybe_unsigned: Some(7),
        maybe_real: Some(2.5),
        maybe_flag: Some(false),
        maybe_text: Some("more".into()),
        maybe_bytes: Some(vec![3]),
    })?;
    let empty = session.insert(Sample {
        id: 0,
        small: 0,
        unsigned: 0,
        real: 0.0,
        flag: false,
        text: String::new(),
        bytes: Vec::new(),
        maybe_id: None,
        maybe_small: None,
        maybe_unsigned: None,
        maybe_real: None,
        maybe_flag: None,
        maybe_text: None,
        maybe_bytes: None,
    })?;
    session.expunge_all();
    let again = session.get::<Sample>(full.id)?.expect("inserted above");
    assert_eq!(*again, *full);
    let again = session.get::<Sample>(empty.id)?.expect("inserted above");
    assert_eq!(*again, *empty);
    Ok(())
}
