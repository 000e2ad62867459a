//! Handles the script holds: a node, input or output ([`Handle`]), or one named port of a
//! node ([`PortRef`]). A handle is only an index into the chain being built; its methods
//! (`to`, `port`, `set`, `get`, `automate`, `automate_fn`) check and record through the
//! [`Builder`]. Handles are userdata, so their metatables are locked.

use mixgraph_engine::ParamValue;
use mlua::{AnyUserData, Lua, MetaMethod, UserData, UserDataFields, UserDataMethods, Value};

use crate::api::automation;
use crate::api::builder::{Builder, End, What};
use crate::api::call::Call;
use crate::api::context::with;
use crate::api::values::{Options, describe, param_value, string_arg};

/// A node, chain input or chain output of the chain being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Handle(pub(crate) usize);

/// A named port of a node: `comp:port("sidechain")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PortRef {
    id: usize,
    port: String,
}

/// The end of a connection a value stands for: a handle, a port, or a name (`"comp"`,
/// `"comp.sidechain"`).
pub(crate) fn end_of(call: &Call, builder: &Builder, value: &Value) -> mlua::Result<End> {
    match value {
        Value::UserData(ud) => {
            if let Ok(h) = ud.borrow::<Handle>() {
                return Ok(End {
                    id: h.0,
                    port: None,
                });
            }
            if let Ok(p) = ud.borrow::<PortRef>() {
                return Ok(End {
                    id: p.id,
                    port: Some(p.port.clone()),
                });
            }
            Err(not_an_end(call, value))
        }
        Value::String(s) => {
            let text = s.to_string_lossy();
            let (name, port) = match text.split_once('.') {
                Some((name, port)) => (name, Some(port.to_string())),
                None => (text.as_str(), None),
            };
            let id = builder.find(call, name)?;
            if let Some(port) = &port {
                builder.check_port(call, id, port)?;
            }
            Ok(End { id, port })
        }
        other => Err(not_an_end(call, other)),
    }
}

fn not_an_end(call: &Call, value: &Value) -> mlua::Error {
    call.error(format!(
        "expected a node, input or output (a handle from chain.node, chain.input, chain.output \
         or chain.preset, a port from node:port(name), or a name), found {}",
        describe(value)
    ))
}

/// Connects `from` to `to` (each a handle, port or name) and returns `to`, so calls chain:
/// `chain.connect(a, b):to(c)`.
pub(crate) fn connect(lua: &Lua, call: &Call, from: &Value, to: Value) -> mlua::Result<Value> {
    with::<Builder, _>(lua, call, |b| {
        let source = end_of(call, b, from)?;
        let dest = end_of(call, b, &to)?;
        b.connect(call, &source, &dest)
    })?;
    Ok(to)
}

/// Connects a known end to `to` and returns `to` (for `a:to(b)`).
fn connect_from(lua: &Lua, call: &Call, from: End, to: Value) -> mlua::Result<Value> {
    with::<Builder, _>(lua, call, |b| {
        let dest = end_of(call, b, &to)?;
        b.connect(call, &from, &dest)
    })?;
    Ok(to)
}

impl UserData for Handle {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_meta_field(MetaMethod::Type, "chain handle");
        fields.add_field_method_get("name", |lua, this| {
            let call = Call::new(lua, "node.name");
            with::<Builder, _>(lua, &call, |b| Ok(b.entry(this.0).map(|e| e.name.clone())))
        });
        fields.add_field_method_get("kind", |lua, this| {
            let call = Call::new(lua, "node.kind");
            with::<Builder, _>(lua, &call, |b| {
                Ok(b.entry(this.0)
                    .and_then(|e| e.descriptor())
                    .map(|d| d.kind.to_string()))
            })
        });
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("to", |lua, this, to: Value| {
            let call = Call::new(lua, "node:to");
            connect_from(
                lua,
                &call,
                End {
                    id: this.0,
                    port: None,
                },
                to,
            )
        });
        methods.add_method("port", |lua, this, name: Value| {
            let call = Call::new(lua, "node:port");
            let port = string_arg(&call, &name, "the port name")?;
            with::<Builder, _>(lua, &call, |b| b.check_port(&call, this.0, &port))?;
            Ok(PortRef { id: this.0, port })
        });
        methods.add_method("set", |lua, this, (param, value): (Value, Value)| {
            let call = Call::new(lua, "node:set");
            let param = string_arg(&call, &param, "the parameter name")?;
            let value = param_value(&value).ok_or_else(|| {
                call.error(format!(
                    "parameter `{param}`: expected a number, a name or true/false, found {}",
                    describe(&value)
                ))
            })?;
            with::<Builder, _>(lua, &call, |b| b.set_param(&call, this.0, &param, value))
        });
        methods.add_method("get", |lua, this, param: Value| {
            let call = Call::new(lua, "node:get");
            let param = string_arg(&call, &param, "the parameter name")?;
            let value = with::<Builder, _>(lua, &call, |b| b.param(&call, this.0, &param))?;
            Ok(match value {
                Some(ParamValue::Number(n)) => Value::Number(n),
                Some(ParamValue::Bool(b)) => Value::Boolean(b),
                Some(ParamValue::Text(t)) => Value::String(lua.create_string(t)?),
                None => Value::Nil,
            })
        });
        methods.add_method("automate", |lua, this, (param, points): (Value, Value)| {
            let call = Call::new(lua, "node:automate");
            let param = string_arg(&call, &param, "the parameter name")?;
            let points = automation::breakpoints(&call, &points)?;
            let lane = mixgraph_engine::AutomationLane { param, points };
            with::<Builder, _>(lua, &call, |b| b.automate(&call, this.0, lane))
        });
        methods.add_method(
            "automate_fn",
            |lua, this, (param, f, options): (Value, Value, Value)| {
                let call = Call::new(lua, "node:automate_fn");
                let param = string_arg(&call, &param, "the parameter name")?;
                let Value::Function(f) = f else {
                    return Err(call.error(format!(
                        "expected a function of the time in seconds, found {}",
                        describe(&f)
                    )));
                };
                let options = Options::read(&call, options, automation::SAMPLING_OPTIONS)?;
                let spec =
                    with::<Builder, _>(lua, &call, |b| b.automatable(&call, this.0, &param))?;
                // The builder is not borrowed while the script's function runs.
                let points = automation::sample(&call, &f, &options, &spec)?;
                let lane = mixgraph_engine::AutomationLane { param, points };
                with::<Builder, _>(lua, &call, |b| b.automate(&call, this.0, lane))
            },
        );
        methods.add_meta_method(MetaMethod::ToString, |lua, this, ()| {
            let call = Call::new(lua, "tostring");
            with::<Builder, _>(lua, &call, |b| {
                Ok(match b.entry(this.0) {
                    Some(e) => match &e.what {
                        What::Input => format!("input `{}`", e.name),
                        What::Output => format!("output `{}`", e.name),
                        What::Node { node_type } => {
                            format!("node `{}` ({})", e.name, node_type.descriptor().kind)
                        }
                        What::Subchain { .. } => format!("subchain node `{}`", e.name),
                    },
                    None => "unknown handle".to_string(),
                })
            })
        });
        methods.add_meta_function(MetaMethod::Eq, |_, (a, b): (AnyUserData, AnyUserData)| {
            Ok(matches!(
                (a.borrow::<Handle>(), b.borrow::<Handle>()),
                (Ok(a), Ok(b)) if *a == *b
            ))
        });
    }
}

impl UserData for PortRef {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_meta_field(MetaMethod::Type, "port");
        fields.add_field_method_get("name", |_, this| Ok(this.port.clone()));
        fields.add_field_method_get("node", |_, this| Ok(Handle(this.id)));
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("to", |lua, this, to: Value| {
            let call = Call::new(lua, "port:to");
            let from = End {
                id: this.id,
                port: Some(this.port.clone()),
            };
            connect_from(lua, &call, from, to)
        });
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| {
            Ok(format!("port `{}`", this.port))
        });
    }
}
