// The todo service of apps/todo written with Express, for bench/todo.sh: the same routes,
// statuses and bodies, with an access log (morgan), CORS, compression over 1 KiB and
// X-Request-Id, as a user of Express would write it.
'use strict';
const express = require('express');
const morgan = require('morgan');
const cors = require('cors');
const compression = require('compression');
const crypto = require('crypto');

const port = Number(process.argv[2] || 3000);
const maxItems = Number(process.env.TODO_MAX_ITEMS || 1000);
const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use((req, res, next) => {
    const id = req.get('x-request-id');
    res.set('X-Request-Id', id && /^[\w.-]{1,128}$/.test(id) ? id : crypto.randomUUID());
    next();
});
app.use(morgan('combined'));
app.use(cors({ origin: ['http://localhost:3000'] }));
app.use(compression({ threshold: 1024 }));
app.use(express.json({ limit: 16384 }));

const todos = new Map();
let nextId = 1;
const fail = (res, status, error) => res.status(status).json({ error });

app.get('/healthz', (req, res) => res.type('text/plain').send('ok\n'));
app.get('/todos', (req, res) => {
    let items = [...todos.values()];
    if (req.query.done !== undefined) {
        if (req.query.done !== 'true' && req.query.done !== 'false') return fail(res, 400, 'done must be true or false');
        items = items.filter((t) => t.done === (req.query.done === 'true'));
    }
    if (req.query.limit !== undefined) {
        if (!/^\d+$/.test(req.query.limit)) return fail(res, 400, 'limit must be a non-negative integer');
        items = items.slice(0, Number(req.query.limit));
    }
    res.json(items);
});
app.post('/todos', (req, res) => {
    const b = req.body;
    if (!b || typeof b !== 'object' || Array.isArray(b)) return fail(res, 422, 'the body must be a JSON object');
    if (typeof b.title !== 'string' || b.title === '') return fail(res, 422, 'title must be a non-empty string');
    if (b.done !== undefined && typeof b.done !== 'boolean') return fail(res, 422, 'done must be a boolean');
    if (todos.size >= maxItems) return fail(res, 409, 'the list is full');
    const t = { id: nextId++, title: b.title, done: b.done === true };
    todos.set(t.id, t);
    res.status(201).location(`/todos/${t.id}`).json(t);
});
const find = (req, res) => {
    const t = /^\d+$/.test(req.params.id) ? todos.get(Number(req.params.id)) : undefined;
    if (!t) fail(res, 404, 'no such todo');
    return t;
};
app.get('/todos/:id', (req, res) => { const t = find(req, res); if (t) res.json(t); });
app.patch('/todos/:id', (req, res) => {
    const t = find(req, res);
    if (!t) return;
    const b = req.body;
    if (!b || typeof b !== 'object' || Array.isArray(b)) return fail(res, 422, 'the body must be a JSON object');
    if (b.title !== undefined && (typeof b.title !== 'string' || b.title === '')) return fail(res, 422, 'title must be a non-empty string');
    if (b.done !== undefined && typeof b.done !== 'boolean') return fail(res, 422, 'done must be a boolean');
    if (b.title !== undefined) t.title = b.title;
    if (b.done !== undefined) t.done = b.done;
    res.json(t);
});
app.delete('/todos/:id', (req, res) => {
    const t = find(req, res);
    if (t) { todos.delete(t.id); res.status(204).end(); }
});
app.use((err, req, res, next) => {
    if (err.type === 'entity.too.large') return fail(res, 413, 'the body is too large');
    if (err.type === 'entity.parse.failed') return fail(res, 400, 'malformed JSON');
    fail(res, err.status || 500, err.message);
});
app.listen(port, '127.0.0.1', () => console.error(`listening on ${port}`));
