#!/usr/bin/env node
// Validates every Actor definition file of the workspace (actors/*/.actor/*.json) with Apify's
// own validators from npm, the ones Apify's tooling runs:
//
//   actor.json                   @apify/json_schemas getActorSchemaValidator()
//   input schema                 @apify/input_schema validateInputSchema() (the structure and the
//                                semantic checks `apify validate-schema` runs: one definition per
//                                field kind, editor/type pairs, defaults and prefills of the
//                                field's type, `required` keys that exist, regular expressions that
//                                compile, no deprecated patternKey/patternValue; with the input
//                                meta-schema of the @apify/json_schemas it depends on, 0.17.x), and
//                                @apify/json_schemas getInputSchemaValidator() (1.0.1's meta-schema)
//   dataset schema               @apify/json_schemas getDatasetSchemaValidator()
//   output schema                @apify/json_schemas getOutputSchemaValidator()
//   key-value store schema       @apify/json_schemas getKeyValueStoreSchemaValidator()
//   pay_per_event.json           schemas/pay_per_event.schema.json (ours; Apify takes pay-per-event
//                                prices from Console, not from a file), with Ajv 2020
//
// Each file is found the way Apify's build finds it: through actor.json (`input`/`inputSchema`,
// `storages.dataset`, `storages.datasets.*`, `storages.keyValueStore`, `output`/`outputSchema`,
// paths relative to the .actor folder, or objects inlined), else by its conventional name in
// .actor/. Every other path actor.json names (`dockerfile`, `dockerContextDir`, `readme`,
// `changelog`, `webServerSchema`) must exist, and no .json file in .actor/ may go unvalidated.
//
// Apify's validators stop at the first error (Ajv's default, and validateInputSchema throws). A
// failing file is therefore validated again with allErrors over the very same schema objects and
// options, and an input schema field by field, so that every problem is listed as
//   <file> <JSON pointer>: <message>
// Exit status: 0 all valid, 1 problems found, 2 the check itself could not run.
//
// The vendored copies the Rust test uses (crates/forge-core/data/apify-json-schemas/) must be the
// very files of the installed @apify/json_schemas: a difference is reported as a problem, so the
// two checks never drift apart.
//
// Usage: node validate.mjs [workspace root]   (default: two levels up from this file)

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

// A check that cannot run (no node_modules, a schema that does not compile) exits 2, never 1.
process.on('uncaughtException', (e) => {
    console.error(`apify-validate: cannot run the check: ${e.stack ?? e}`);
    process.exit(2);
});
const load = async (name) => {
    try {
        return await import(name);
    } catch (e) {
        console.error(`apify-validate: cannot load ${name} (${e.code ?? e.message}); run scripts/validate-actor-definitions.sh, which installs tools/apify-validate/node_modules`);
        process.exit(2);
    }
};
const { validateInputSchema } = await load('@apify/input_schema');
const apify = await load('@apify/json_schemas');
const { Ajv2019 } = await load('ajv/dist/2019.js');
const { Ajv2020 } = await load('ajv/dist/2020.js');

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.argv[2] ?? path.join(here, '..', '..'));
const rel = (p) => path.relative(root, p) || '.';

const problems = [];
const problem = (file, pointer, message) => problems.push({ file: rel(file), pointer: pointer || '/', message });

// --- The validators -----------------------------------------------------------------------------

// Twins of @apify/json_schemas' validators with allErrors, built exactly as its
// src/validations.js builds them (Ajv2019, the same schema objects, allowUnionTypes), to list every
// problem of a file the package's own validator has rejected.
const draft07 = JSON.parse(
    readFileSync(path.join(packageDir('@apify/json_schemas'), 'schemas', 'json-schema-draft-07.json'), 'utf8'),
);
const allErrorsAjv = new Ajv2019({
    schemas: [apify.actorSchema, apify.datasetSchema, apify.inputSchema, apify.keyValueStoreSchema, apify.outputSchema, draft07],
    allowUnionTypes: true,
    allErrors: true,
});

const KINDS = {
    actor: { apify: apify.getActorSchemaValidator(), schema: apify.actorSchema },
    input: { apify: apify.getInputSchemaValidator(), schema: apify.inputSchema },
    dataset: { apify: apify.getDatasetSchemaValidator(), schema: apify.datasetSchema },
    output: { apify: apify.getOutputSchemaValidator(), schema: apify.outputSchema },
    keyValueStore: { apify: apify.getKeyValueStoreSchemaValidator(), schema: apify.keyValueStoreSchema },
};

const ppeSchemaPath = path.join(root, 'schemas', 'pay_per_event.schema.json');
const ppeValidator = new Ajv2020({ allErrors: true, strict: true }).compile(readJson(ppeSchemaPath));

// The top-level install of a dependency (what `import` resolves to from this file).
function packageDir(name) {
    return path.join(here, 'node_modules', ...name.split('/'));
}

function readJson(file) {
    return JSON.parse(readFileSync(file, 'utf8'));
}

// Ajv errors as problems: for a failed oneOf/anyOf Ajv reports the failure of every branch and
// then the oneOf itself; the branch errors say what is wrong, so they are kept, and a bare "must
// match exactly one schema" only when nothing more specific was said at that pointer.
function ajvProblems(file, base, errors) {
    const seen = new Set();
    const specific = new Set(
        errors.filter((e) => !['oneOf', 'anyOf', 'if'].includes(e.keyword)).map((e) => e.instancePath),
    );
    for (const e of errors) {
        if (['oneOf', 'anyOf', 'if'].includes(e.keyword) && specific.has(e.instancePath)) continue;
        const params = e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : '';
        const message = `${e.message}${params} (schema ${e.schemaPath})`;
        const key = `${e.instancePath}\n${message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const name = e.propertyName ?? e.params?.propertyName;
        problem(file, base + e.instancePath + (name === undefined ? '' : `/${escapePointer(name)}`), message);
    }
}

function checkWithApify(kind, file, base, value) {
    const { apify: validate, schema } = KINDS[kind];
    if (validate(value)) return;
    const twin = allErrorsAjv.getSchema(schema.$id);
    twin(value);
    ajvProblems(file, base, twin.errors?.length ? twin.errors : validate.errors);
}

// As `apify validate-schema` calls it: an Ajv2019 with strict mode off. validateInputSchema builds
// a fresh copy of the same definition for every field it checks, which Ajv would compile again each
// time (seconds over seven schemas); compiled functions are therefore kept by the schema's JSON.
// Nothing else changes: the same schemas, options and errors.
const inputSchemaAjv = new Ajv2019({ strict: false });
const compiled = new Map();
const ajvValidate = inputSchemaAjv.validate.bind(inputSchemaAjv);
inputSchemaAjv.validate = (schemaOrRef, data) => {
    if (typeof schemaOrRef !== 'object' || schemaOrRef === null) return ajvValidate(schemaOrRef, data);
    const key = JSON.stringify(schemaOrRef);
    let fn = compiled.get(key);
    if (!fn) {
        fn = inputSchemaAjv.compile(schemaOrRef);
        compiled.set(key, fn);
    }
    const valid = fn(data);
    inputSchemaAjv.errors = fn.errors;
    return valid;
};

// validateInputSchema throws on its first problem, with a message that names the field. Running
// it on the root alone and then on each field alone gives every field's problem, and the message's
// "schema.properties.<field>.<keyword>" gives its pointer. The input meta-schema is a oneOf over
// ten field kinds, so Ajv's own list for a bad field has dozens of lines; the schema of
// @apify/json_schemas 1.0.1 (validateInputSchema uses the one its own dependency ships) is
// therefore reported per field with Apify's own choice of the one best error.
function checkInputSchema(file, base, schema) {
    const run = (s) => {
        try {
            validateInputSchema(inputSchemaAjv, s);
            return null;
        } catch (e) {
            return e.message;
        }
    };
    const pointerOf = (message, fallback) => {
        if (message.includes('specified in schema.required')) return `${base}/required`;
        const m = /schema\.properties\.([^\s]+?)[.,)]?(\s|$)/.exec(message);
        if (!m) return fallback;
        return `${base}/properties/${m[1].split('.').map(escapePointer).join('/')}`;
    };
    const reported = new Set();
    const whole = run(schema);
    if (whole) {
        const isObject = schema && typeof schema === 'object' && schema.properties && typeof schema.properties === 'object';
        if (isObject) {
            const missing = (Array.isArray(schema.required) ? schema.required : []).filter((k) => !(k in schema.properties));
            const rootOnly = run({ ...schema, properties: {}, required: missing });
            if (rootOnly) {
                problem(file, pointerOf(rootOnly, base || '/'), rootOnly);
                reported.add('/');
            }
            for (const [key, field] of Object.entries(schema.properties)) {
                const required = (schema.required ?? []).filter((k) => k === key);
                const message = run({ ...schema, properties: { [key]: field }, required });
                if (message) {
                    problem(file, pointerOf(message, `${base}/properties/${escapePointer(key)}`), message);
                    reported.add(key);
                }
            }
        }
        if (reported.size === 0) problem(file, base || '/', whole);
    }

    const { apify: validate } = KINDS.input;
    if (validate(schema)) return;
    const twin = allErrorsAjv.getSchema(apify.inputSchema.$id);
    twin(schema);
    const byField = new Map();
    for (const e of twin.errors ?? validate.errors ?? []) {
        const field = /^\/properties\/([^/]+)/.exec(e.instancePath)?.[1]?.replaceAll('~1', '/').replaceAll('~0', '~') ?? '/';
        if (!byField.has(field)) byField.set(field, []);
        byField.get(field).push(e);
    }
    for (const [field, errors] of byField) {
        if (reported.has(field)) continue;
        const branch = /\/(oneOf|anyOf)\/\d+\//;
        const best = errors.find((e) => !branch.test(e.schemaPath) && !['oneOf', 'anyOf'].includes(e.keyword)) ?? errors[0];
        ajvProblems(file, base, [best]);
    }
}

function escapePointer(token) {
    return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

function check(kind, file, base, value) {
    if (kind === 'input') checkInputSchema(file, base, value);
    else checkWithApify(kind, file, base, value);
}

// --- Finding the files --------------------------------------------------------------------------

const CONVENTIONAL = {
    'input_schema.json': 'input',
    'dataset_schema.json': 'dataset',
    'output_schema.json': 'output',
    'key_value_store_schema.json': 'keyValueStore',
};

function validateActor(actorDir) {
    const actorJson = path.join(actorDir, 'actor.json');
    let actor;
    try {
        actor = readJson(actorJson);
    } catch (e) {
        problem(actorJson, '/', `cannot read: ${e.message}`);
        return 0;
    }
    check('actor', actorJson, '', actor);

    // kind per file (resolved path), plus the definitions inlined in actor.json.
    const files = new Map();
    const seenKinds = new Set();
    const reference = (kind, pointer, value) => {
        if (value === undefined || value === null) return;
        seenKinds.add(kind);
        if (typeof value === 'string') {
            const file = path.resolve(actorDir, value);
            if (!existsSync(file) || !statSync(file).isFile()) {
                problem(actorJson, pointer, `file ${JSON.stringify(value)} does not exist (${rel(file)})`);
                return;
            }
            files.set(file, kind);
        } else {
            check(kind, actorJson, pointer, value);
        }
    };
    reference('input', '/input', actor.input);
    reference('input', '/inputSchema', actor.inputSchema);
    reference('output', '/output', actor.output);
    reference('output', '/outputSchema', actor.outputSchema);
    reference('dataset', '/storages/dataset', actor.storages?.dataset);
    for (const [name, value] of Object.entries(actor.storages?.datasets ?? {})) {
        reference('dataset', `/storages/datasets/${escapePointer(name)}`, value);
    }
    reference('keyValueStore', '/storages/keyValueStore', actor.storages?.keyValueStore);
    for (const [name, kind] of Object.entries(CONVENTIONAL)) {
        const file = path.join(actorDir, name);
        if (!seenKinds.has(kind) && existsSync(file)) files.set(file, kind);
    }
    if (!seenKinds.has('input') && ![...files.values()].includes('input')) {
        problem(actorJson, '/', 'no input schema: set "input" (e.g. "./input_schema.json")');
    }
    for (const [key, wantDir] of [
        ['dockerfile', false],
        ['dockerContextDir', true],
        ['readme', false],
        ['changelog', false],
        ['webServerSchema', false],
    ]) {
        const value = actor[key];
        if (typeof value !== 'string') continue;
        const target = path.resolve(actorDir, value);
        const ok = existsSync(target) && (wantDir ? statSync(target).isDirectory() : statSync(target).isFile());
        if (!ok) problem(actorJson, `/${key}`, `${wantDir ? 'directory' : 'file'} ${JSON.stringify(value)} does not exist (${rel(target)})`);
    }

    const ppe = path.join(actorDir, 'pay_per_event.json');
    let count = 1;
    for (const [file, kind] of files) {
        count += 1;
        let value;
        try {
            value = readJson(file);
        } catch (e) {
            problem(file, '/', `not valid JSON: ${e.message}`);
            continue;
        }
        check(kind, file, '', value);
    }
    if (existsSync(ppe)) {
        count += 1;
        try {
            const value = readJson(ppe);
            if (!ppeValidator(value)) ajvProblems(ppe, '', ppeValidator.errors);
        } catch (e) {
            problem(ppe, '/', `not valid JSON: ${e.message}`);
        }
    }

    for (const name of readdirSync(actorDir)) {
        const file = path.join(actorDir, name);
        if (!name.endsWith('.json') || name === 'actor.json' || file === ppe || files.has(file)) continue;
        problem(file, '/', 'not referenced from actor.json and not a conventional definition file name, so no validator checks it');
    }
    return count;
}

// The vendored schemas the Rust test reads must be the installed package's files, byte for byte.
function checkVendoredCopies() {
    const vendored = path.join(root, 'crates', 'forge-core', 'data', 'apify-json-schemas');
    const installed = path.join(packageDir('@apify/json_schemas'), 'schemas');
    const version = readJson(path.join(packageDir('@apify/json_schemas'), 'package.json')).version;
    const source = readJson(path.join(vendored, 'SOURCE.json'));
    if (source.version !== version) {
        problem(path.join(vendored, 'SOURCE.json'), '/version', `vendored ${source.version}, installed @apify/json_schemas ${version}`);
    }
    for (const name of readdirSync(installed).filter((n) => n.endsWith('.json'))) {
        const copy = path.join(vendored, name);
        if (!existsSync(copy)) problem(copy, '/', `missing: @apify/json_schemas ${version} ships schemas/${name}`);
        else if (!readFileSync(copy).equals(readFileSync(path.join(installed, name)))) {
            problem(copy, '/', `differs from schemas/${name} of @apify/json_schemas ${version}`);
        }
    }
}

// --- Main ---------------------------------------------------------------------------------------

const actorsDir = path.join(root, 'actors');
if (!existsSync(actorsDir)) {
    console.error(`apify-validate: no actors/ under ${root}`);
    process.exit(2);
}
const actorDirs = readdirSync(actorsDir)
    .map((name) => path.join(actorsDir, name, '.actor'))
    .filter((dir) => existsSync(path.join(dir)) && statSync(dir).isDirectory())
    .sort();
if (actorDirs.length === 0) {
    console.error(`apify-validate: no actors/*/.actor/ under ${root}`);
    process.exit(2);
}
let files = 0;
for (const dir of actorDirs) files += validateActor(dir);
checkVendoredCopies();

const versionOf = (dir) => readJson(path.join(dir, 'package.json')).version;
const nested = path.join(packageDir('@apify/input_schema'), 'node_modules', '@apify', 'json_schemas');
const versions = [
    `@apify/json_schemas ${versionOf(packageDir('@apify/json_schemas'))}`,
    `@apify/input_schema ${versionOf(packageDir('@apify/input_schema'))}` +
        (existsSync(nested) ? ` (with @apify/json_schemas ${versionOf(nested)})` : ''),
    `ajv ${versionOf(packageDir('ajv'))}`,
].join(', ');
if (problems.length > 0) {
    for (const p of problems) console.error(`${p.file} ${p.pointer}: ${p.message}`);
    console.error(`apify-validate: ${problems.length} problem(s) in ${files} files of ${actorDirs.length} actors (${versions})`);
    process.exit(1);
}
console.log(`apify-validate: ${files} files of ${actorDirs.length} actors valid (${versions})`);
