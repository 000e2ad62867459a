//! The sandbox against a list of attacks. Each attack fails with a clear message, has no
//! effect outside the script (no file read, written or removed, no program run), and the
//! process keeps working: a normal recipe runs after each one.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test with its location"
)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use mixgraph_scripts::{ScriptError, ScriptOptions, run_str};

/// A normal recipe, run after every attack.
const NORMAL: &str = r#"
local i = chain.input("in")
local g = chain.node("gain", {gain = -3})
chain.series(i, g, chain.output("out"))
"#;

/// Runs an attack with `options`, checks the process still runs a normal recipe (whose
/// chain is exactly the expected one), and returns the attack's error.
fn attack_with(script: &str, options: &ScriptOptions) -> ScriptError {
    let result = run_str(script, "attack.lua", options);
    let normal = run_str(NORMAL, "normal.lua", &ScriptOptions::default())
        .expect("a normal recipe runs after the attack");
    assert_eq!(normal.chain.nodes.len(), 1);
    assert_eq!(normal.chain.nodes[0].kind.as_deref(), Some("gain"));
    match result {
        Ok(out) => panic!("the attack succeeded:\n{script}\nchain: {:?}", out.chain),
        Err(e) => e,
    }
}

fn attack(script: &str) -> ScriptError {
    attack_with(script, &ScriptOptions::default())
}

/// Asserts the error is a runtime error at `line` whose message contains `expected`.
fn assert_refused(e: &ScriptError, line: u32, expected: &str) {
    let text = e.to_string();
    assert!(
        matches!(e, ScriptError::Runtime { .. }),
        "not a runtime error: {e:?}"
    );
    assert_eq!(e.line(), Some(line), "{text}");
    assert!(text.contains(expected), "{text}\n  lacks: {expected}");
}

/// A Lua string literal of a path.
/// The attack ended in time: a limit that takes too long to bite is no limit.
fn assert_within(started: Instant, limit: Duration) {
    let took = started.elapsed();
    assert!(took < limit, "took {took:?}, limit {limit:?}");
}

fn lua_path(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}

#[test]
fn files_cannot_be_opened_read_or_written() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "secret").unwrap();
    let target = dir.path().join("written.txt");
    let cases = [
        format!(
            "local f = io.open({}, 'r')\nreturn f:read('a')",
            lua_path(&secret)
        ),
        format!(
            "local f = io.open({}, 'w')\nf:write('x')",
            lua_path(&target)
        ),
        format!("io.output({})\nio.write('x')", lua_path(&target)),
        format!("for line in io.lines({}) do end", lua_path(&secret)),
        format!("dofile({})", lua_path(&secret)),
        format!("loadfile({})", lua_path(&secret)),
    ];
    for script in &cases {
        let e = attack(script);
        assert_refused(&e, 1, "is not available in mixgraph recipes");
        assert!(e.to_string().contains("cannot read or write files"), "{e}");
    }
    assert!(!target.exists(), "a file was written");
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "secret");
}

#[test]
fn programs_cannot_be_run_and_the_system_cannot_be_touched() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("marker");
    let keep = dir.path().join("keep.txt");
    std::fs::write(&keep, "keep").unwrap();
    let touch = format!("'touch {}'", marker.display());
    let cases = [
        (format!("os.execute({touch})"), "`os.execute`"),
        (format!("local p = io.popen({touch})"), "`io.popen`"),
        (format!("os.remove({})", lua_path(&keep)), "`os.remove`"),
        (
            format!("os.rename({}, 'x')", lua_path(&keep)),
            "`os.rename`",
        ),
        ("return os.getenv('HOME')".to_string(), "`os.getenv`"),
        ("os.exit(0)".to_string(), "`os.exit`"),
        ("return os.tmpname()".to_string(), "`os.tmpname`"),
        ("os.execute = print".to_string(), "`os.execute`"),
    ];
    for (script, expected) in &cases {
        let e = attack(script);
        assert_refused(&e, 1, expected);
        assert!(e.to_string().contains("run programs"), "{e}");
    }
    assert!(!marker.exists(), "a command ran");
    assert_eq!(std::fs::read_to_string(&keep).unwrap(), "keep");
    // What is kept works.
    let out = run_str(
        &format!("log(type(os.time()), type(os.clock())){NORMAL}"),
        "t.lua",
        &ScriptOptions::default(),
    )
    .unwrap();
    assert_eq!(out.log[0], "number number");
}

#[test]
fn bytecode_cannot_be_made_or_loaded() {
    let e = attack("local f = function() return 1 end\nlocal code = string.dump(f)");
    assert_refused(&e, 2, "`string.dump` is not available in mixgraph recipes");
    // Hand-made bytecode (the Lua 5.4 signature), given to load in every way.
    let e = attack("local f, err = load('\\27Lua\\x54\\0')\nassert(f, err)");
    assert_refused(&e, 2, "attempt to load a binary chunk (mode is 't')");
    let e = attack("local f = load('\\27Lua\\x54\\0', 'x', 'b')");
    assert_refused(&e, 1, "precompiled bytecode is refused");
    let e = attack("local f = load('\\27Lua\\x54\\0', 'x', 'bt', _ENV)");
    assert_refused(&e, 1, "precompiled bytecode is refused");
    // A recipe that is itself bytecode (the header of a Lua 5.4 chunk).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("compiled.lua");
    std::fs::write(&file, b"\x1bLua\x54\x00\x19\x93\r\n\x1a\n\x04\x08\x08").unwrap();
    let e = mixgraph_scripts::run_file(&file, &ScriptOptions::default()).unwrap_err();
    assert!(matches!(e, ScriptError::Syntax { .. }), "{e:?}");
    assert!(
        e.to_string().contains("precompiled bytecode is refused"),
        "{e}"
    );
    // Text still loads, in its own environment if asked.
    let out = run_str(
        &format!("local f = load('return 1 + 1')\nlog(f())\nlog(load('return x', 'c', 't', {{x = 5}})()){NORMAL}"),
        "t.lua",
        &ScriptOptions::default(),
    )
    .unwrap();
    assert_eq!(out.log, ["2", "5"]);
}

#[test]
fn modules_and_native_code_cannot_be_loaded() {
    let cases = [
        ("require('io')", "`require`"),
        ("require('socket.core')", "`require`"),
        (
            "local f = package.loadlib('libc.so.6', 'system')",
            "`package.loadlib`",
        ),
        ("package.cpath = './?.so'", "`package.cpath`"),
        ("local loaded = package.loaded", "`package.loaded`"),
        ("local s = package.searchers", "`package.searchers`"),
    ];
    for (script, expected) in cases {
        let e = attack(script);
        assert_refused(&e, 1, expected);
        assert!(
            e.to_string().contains("cannot load modules or native code"),
            "{e}"
        );
    }
}

#[test]
fn the_debug_library_is_out_of_reach() {
    for script in [
        "debug.sethook()",
        "local r = debug.getregistry()",
        "local mt = debug.getmetatable(chain)",
        "debug.setmetatable(chain, {})",
        "local info = debug.getinfo(1)",
    ] {
        let e = attack(script);
        assert_refused(
            &e,
            1,
            "is not available in mixgraph recipes: a recipe cannot inspect or change the interpreter",
        );
    }
    let e = attack("local c = coroutine.create(print)");
    assert_refused(&e, 1, "attempt to index a nil value (global 'coroutine')");
}

#[test]
fn the_api_cannot_be_tampered_with() {
    let cases: &[(&str, u32, &str)] = &[
        (
            "chain.node = function() end",
            1,
            "`chain` is read-only: `chain.node` cannot be assigned",
        ),
        ("chain.extra = 1", 1, "`chain` is read-only"),
        (
            "rawset(chain, 'node', print)",
            1,
            "bad argument #1 to 'rawset' (table expected, got read-only table)",
        ),
        (
            "setmetatable(chain, {__index = {}})",
            1,
            "bad argument #1 to 'setmetatable' (table expected, got read-only table)",
        ),
        (
            "local mt = getmetatable(chain)\nmt.__index = {}",
            2,
            "attempt to index a boolean value (local 'mt')",
        ),
        (
            "local mt = getmetatable(chain.node('gain'))\nmt.__index = nil",
            2,
            "attempt to index a boolean value (local 'mt')",
        ),
        (
            "local g = chain.node('gain')\nrawset(g, 'to', print)",
            2,
            "table expected, got chain handle",
        ),
        (
            "local g = chain.node('gain')\ng.to = print",
            2,
            "attempt to index a chain handle value",
        ),
        (
            "io.open = function() return 1 end",
            1,
            "`io.open` is not available",
        ),
        (
            "local mt = getmetatable(io)\nmt.__index = {open = print}",
            2,
            "attempt to index a boolean value",
        ),
        (
            "local mt = getmetatable(os)\nrawset(mt, '__index', {})",
            2,
            "bad argument #1 to 'rawset' (table expected, got boolean)",
        ),
    ];
    for (script, line, expected) in cases {
        let e = attack(script);
        let text = e.to_string();
        assert_eq!(e.line(), Some(*line), "{script}: {text}");
        assert!(
            text.contains(expected),
            "{script}:\n  {text}\n  lacks: {expected}"
        );
    }
    // getmetatable gives nothing usable.
    let out = run_str(
        &format!("{NORMAL}log(getmetatable(chain), getmetatable(io), getmetatable(g), getmetatable(g:port('in')))"),
        "t.lua",
        &ScriptOptions::default(),
    )
    .unwrap();
    assert_eq!(out.log[0], "false false false false");
}

#[test]
fn a_script_replacing_globals_harms_only_itself() {
    // A script may redefine its own globals (even `chain`); the next run starts afresh.
    let e = attack(
        "string.rep = nil\ngetmetatable('').__index.upper = nil\nchain = {node = function() return 1 end}\nlocal n = chain.node('gain')\nchain.output('x', n)",
    );
    assert_refused(&e, 5, "attempt to call a nil value (field 'output')");
    let out = run_str(
        &format!("log(string.rep('ab', 2), ('x'):upper()){NORMAL}"),
        "t.lua",
        &ScriptOptions::default(),
    )
    .unwrap();
    assert_eq!(out.log[0], "abab X");
}

fn limited(memory: usize, instructions: u64, time: Duration) -> ScriptOptions {
    ScriptOptions {
        memory_limit: memory,
        instruction_limit: instructions,
        time_limit: time,
        ..ScriptOptions::default()
    }
}

#[test]
fn exhausting_memory_ends_the_script() {
    let started = Instant::now();
    // At the default limit.
    let e = attack("local t = {}\nwhile true do\n  t[#t + 1] = string.rep('x', 1000) .. #t\nend");
    let ScriptError::MemoryLimit { limit, line, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*limit, 64 * 1024 * 1024);
    assert!(matches!(line, Some(2..=4)), "{e}");
    assert!(
        e.to_string()
            .contains("used more than the memory limit of 67108864 bytes"),
        "{e}"
    );
    // A smaller limit, by doubling a string, and in a host call (a big table of names).
    let small = limited(4 << 20, u64::MAX, Duration::from_secs(30));
    let e = attack_with("local s = 'x'\nwhile true do s = s .. s end", &small);
    assert!(
        matches!(e, ScriptError::MemoryLimit { limit: 4194304, .. }),
        "{e:?}"
    );
    let e = attack_with(
        "local t = {}\nfor i = 1, 1e7 do t[i] = i end\nlocal s = table.concat(t, ',')",
        &small,
    );
    assert!(matches!(e, ScriptError::MemoryLimit { .. }), "{e:?}");
    // pcall may catch a failed allocation; the limit still holds and the loop still ends.
    let e = attack_with(
        "local grown = 0\nwhile true do\n  pcall(function() local s = string.rep('x', 8 << 20) end)\n  grown = grown + 1\nend",
        &limited(4 << 20, 5_000_000, Duration::from_secs(30)),
    );
    assert!(matches!(e, ScriptError::InstructionLimit { .. }), "{e:?}");
    assert_within(started, Duration::from_secs(10));
}

#[test]
fn an_endless_loop_ends_with_the_instruction_budget() {
    let started = Instant::now();
    let e = attack("local n = 0\nwhile true do\n  n = n + 1\nend");
    let ScriptError::InstructionLimit {
        limit,
        line,
        traceback,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*limit, 200_000_000);
    assert!(matches!(line, Some(2..=4)), "{e}");
    assert!(
        traceback.iter().any(|f| f.ends_with("in main chunk")),
        "{traceback:?}"
    );
    assert!(
        e.to_string()
            .contains("ran out of its budget of 200000000 instructions"),
        "{e}"
    );
    assert_within(started, Duration::from_secs(5));
}

#[test]
fn catching_the_end_of_the_budget_or_hiding_work_in_library_calls_does_not_help() {
    let started = Instant::now();
    let few = limited(64 << 20, 2_000_000, Duration::from_secs(30));
    // Catching the end of the budget does not help.
    for script in [
        "while true do pcall(function() while true do end end) end",
        "while true do xpcall(function() while true do end end, function(e) return e end) end",
        "local ok = pcall(function() while true do end end)\nwhile true do end",
        "local ok, e = pcall(function() while true do end end)\nerror('caught: ' .. tostring(e))",
        "local function f() return pcall(f) end\nwhile true do f() end",
    ] {
        let e = attack_with(script, &few);
        assert!(
            matches!(
                e,
                ScriptError::InstructionLimit {
                    limit: 2_000_000,
                    ..
                }
            ),
            "{script}: {e:?}"
        );
    }
    // Long work inside library calls is charged to the budget or refused.
    let e = attack_with("local s = string.rep('', 1 << 60)\nwhile true do end", &few);
    assert!(
        matches!(e, ScriptError::InstructionLimit { line: Some(2), .. }),
        "{e:?}"
    );
    let e = attack_with("table.move({}, 1, 1 << 60, 2)", &few);
    assert!(
        matches!(e, ScriptError::InstructionLimit { line: Some(1), .. }),
        "{e:?}"
    );
    let e = attack_with(
        "local t = {}\nfor i = 1, 3000 do t[i] = i end\nwhile true do table.sort(t) end",
        &few,
    );
    assert!(matches!(e, ScriptError::InstructionLimit { .. }), "{e:?}");
    let e = attack("local s = string.rep('a', 5000)\nlocal x = s:find('.-.-.-b')");
    assert_refused(
        &e,
        2,
        "string pattern \".-.-.-b\" on 5000 characters could take up to",
    );
    assert_within(started, Duration::from_secs(8));
}

#[test]
fn work_the_instruction_hook_cannot_see_ends_with_the_time_limit() {
    let started = Instant::now();
    let short = limited(64 << 20, u64::MAX, Duration::from_millis(300));
    let e = attack_with(
        "local s = string.rep('x', 1 << 20)\nwhile true do\n  local u = s:upper()\nend",
        &short,
    );
    assert!(matches!(e, ScriptError::TimeLimit { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("ran longer than the time limit of 0.3 s"),
        "{e}"
    );
    assert_within(started, Duration::from_secs(5));
}

#[test]
fn endless_recursion_ends_with_a_clear_error() {
    let started = Instant::now();
    let e = attack("local function f(n)\n  return 1 + f(n + 1)\nend\nf(1)");
    let ScriptError::RecursionLimit {
        limit,
        line,
        traceback,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*limit, 10_000);
    assert_eq!(*line, Some(2));
    assert!(
        traceback.len() < 30,
        "the traceback is cut: {}",
        traceback.len()
    );
    assert!(
        e.to_string()
            .contains("nested its calls deeper than 10000 levels (endless recursion?)"),
        "{e}"
    );
    // Recursion through metamethods and library calls hits Lua's C stack limit.
    let e = attack(
        "local t = setmetatable({}, {__index = function(t, k) return t[k] end})\nlocal x = t.x",
    );
    assert!(matches!(e, ScriptError::Runtime { .. }), "{e:?}");
    assert!(e.to_string().contains("stack overflow"), "{e}");
    let e = attack("local function f() return pcall(f) end\nf()\nerror('went on')");
    assert!(
        matches!(
            e,
            ScriptError::Runtime { .. } | ScriptError::RecursionLimit { .. }
        ),
        "{e:?}"
    );
    let e = attack("local function f(s) return s:gsub('.', f) end\nf('abc')");
    assert!(e.to_string().contains("stack overflow"), "{e}");
    // Host functions calling back into the script.
    let e = attack(
        "local g = chain.node('gain')\nlocal function f(t) g:automate_fn('gain', f, {to = 1}) return 0 end\nf(0)",
    );
    assert!(
        e.to_string().contains("stack overflow") || e.to_string().contains("already"),
        "{e}"
    );
    assert_within(started, Duration::from_secs(5));
}

#[test]
fn files_are_read_only_through_analyze_and_presets_and_only_regular_ones() {
    let e = attack("local a = analyze('/dev/zero')");
    assert_refused(
        &e,
        1,
        "is neither an input nor an audio file in the script's folder",
    );
    let e = attack("local a = analyze('/etc/passwd')");
    assert_refused(
        &e,
        1,
        "is neither an input nor an audio file in the script's folder",
    );
    let e = attack("local a = analyze('../../../../../../../../etc/passwd')");
    assert_refused(
        &e,
        1,
        "is neither an input nor an audio file in the script's folder",
    );
    let e = attack("local p = chain.preset('/etc/passwd')");
    assert_refused(&e, 1, "a preset file is a .ron file");
}
