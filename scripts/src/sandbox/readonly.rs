//! Read-only tables for the script: the API (`chain`) and the sandbox's stand-ins for the
//! libraries it leaves out (`io`, `debug`, `package`) or trims (`os`).
//!
//! They are userdata, not tables: `rawset`, `setmetatable` and `rawget` refuse userdata, an
//! assignment to a member is an error, and `getmetatable` returns `false` (mlua locks the
//! metatables of userdata with `__metatable`). Reading a member that does not exist is an
//! error naming the closest member, or saying why the library function is not available.

use mlua::{Function, Lua, MetaMethod, UserData, UserDataFields, UserDataMethods, Value};

use crate::site;

/// What reading a member that does not exist says.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Absent {
    /// The member does not exist: suggest the closest one.
    Unknown,
    /// The library function is left out of the sandbox, for this reason.
    Forbidden(&'static str),
}

/// A read-only table of functions.
pub(crate) struct ReadOnly {
    name: &'static str,
    members: Vec<(&'static str, Function)>,
    absent: Absent,
}

impl ReadOnly {
    /// A table called `name` in messages, with these members.
    pub(crate) fn new(
        name: &'static str,
        members: Vec<(&'static str, Function)>,
        absent: Absent,
    ) -> Self {
        ReadOnly {
            name,
            members,
            absent,
        }
    }

    fn missing(&self, lua: &Lua, key: &str) -> mlua::Error {
        let name = self.name;
        let message = match self.absent {
            Absent::Forbidden(reason) => {
                format!("`{name}.{key}` is not available in mixgraph recipes: {reason}")
            }
            Absent::Unknown => {
                let names = || self.members.iter().map(|(n, _)| *n);
                let hint = mixgraph_engine::catalog::closest_name(key, names())
                    .map(|s| format!("; did you mean `{name}.{s}`?"))
                    .unwrap_or_default();
                let mut all: Vec<&str> = names().collect();
                all.sort_unstable();
                format!(
                    "`{name}.{key}` does not exist{hint}; `{name}` has: {}",
                    all.join(", ")
                )
            }
        };
        site::error(lua, message)
    }
}

impl UserData for ReadOnly {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_meta_field(MetaMethod::Type, "read-only table");
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_method(MetaMethod::Index, |lua, this, key: Value| {
            let key = key_text(&key);
            this.members
                .iter()
                .find(|(n, _)| *n == key)
                .map(|(_, f)| f.clone())
                .ok_or_else(|| this.missing(lua, &key))
        });
        methods.add_meta_method(
            MetaMethod::NewIndex,
            |lua, this, (key, _value): (Value, Value)| -> mlua::Result<()> {
                let key = key_text(&key);
                Err(match this.absent {
                    Absent::Forbidden(_) if !this.members.iter().any(|(n, _)| *n == key) => {
                        this.missing(lua, &key)
                    }
                    _ => site::error(
                        lua,
                        format!(
                            "`{}` is read-only: `{}.{key}` cannot be assigned",
                            this.name, this.name
                        ),
                    ),
                })
            },
        );
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| {
            Ok(match this.absent {
                Absent::Unknown => format!("{} (mixgraph API)", this.name),
                Absent::Forbidden(_) => format!("{} (sandboxed)", this.name),
            })
        });
    }
}

/// A key as text for messages.
fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.to_string_lossy(),
        Value::Integer(i) => i.to_string(),
        Value::Number(n) => n.to_string(),
        other => format!("<{}>", other.type_name()),
    }
}
