// The todo service of apps/todo written with Fastify, for bench/todo.sh: the same routes,
// statuses and bodies, with Fastify's request logging on, CORS, compression over 1 KiB and
// X-Request-Id, as a user of Fastify would write it.
'use strict';
const crypto = require('crypto');
const fastify = require('fastify')({
    logger: true,
    bodyLimit: 16384,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
});

const port = Number(process.argv[2] || 3000);
const maxItems = Number(process.env.TODO_MAX_ITEMS || 1000);
const todos = new Map();
let nextId = 1;
const fail = (reply, status, error) => reply.code(status).send({ error });

fastify.register(require('@fastify/cors'), { origin: ['http://localhost:3000'] });
fastify.register(require('@fastify/compress'), { threshold: 1024 });
fastify.addHook('onRequest', async (req, reply) => { reply.header('X-Request-Id', req.id); });
fastify.setErrorHandler((err, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fail(reply, 413, 'the body is too large');
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.statusCode === 400) return fail(reply, 400, 'malformed JSON');
    fail(reply, err.statusCode || 500, err.message);
});

fastify.get('/healthz', async (req, reply) => { reply.type('text/plain'); return 'ok\n'; });
fastify.get('/todos', async (req, reply) => {
    let items = [...todos.values()];
    const { done, limit } = req.query;
    if (done !== undefined) {
        if (done !== 'true' && done !== 'false') return fail(reply, 400, 'done must be true or false');
        items = items.filter((t) => t.done === (done === 'true'));
    }
    if (limit !== undefined) {
        if (!/^\d+$/.test(limit)) return fail(reply, 400, 'limit must be a non-negative integer');
        items = items.slice(0, Number(limit));
    }
    return items;
});
const check = (b, partial) => {
    if (!b || typeof b !== 'object' || Array.isArray(b)) return 'the body must be a JSON object';
    if ((!partial || b.title !== undefined) && (typeof b.title !== 'string' || b.title === '')) return 'title must be a non-empty string';
    if (b.done !== undefined && typeof b.done !== 'boolean') return 'done must be a boolean';
    return null;
};
fastify.post('/todos', async (req, reply) => {
    const bad = check(req.body, false);
    if (bad) return fail(reply, 422, bad);
    if (todos.size >= maxItems) return fail(reply, 409, 'the list is full');
    const t = { id: nextId++, title: req.body.title, done: req.body.done === true };
    todos.set(t.id, t);
    reply.code(201).header('Location', `/todos/${t.id}`);
    return t;
});
const find = (req) => (/^\d+$/.test(req.params.id) ? todos.get(Number(req.params.id)) : undefined);
fastify.get('/todos/:id', async (req, reply) => find(req) || fail(reply, 404, 'no such todo'));
fastify.patch('/todos/:id', async (req, reply) => {
    const t = find(req);
    if (!t) return fail(reply, 404, 'no such todo');
    const bad = check(req.body, true);
    if (bad) return fail(reply, 422, bad);
    if (req.body.title !== undefined) t.title = req.body.title;
    if (req.body.done !== undefined) t.done = req.body.done;
    return t;
});
fastify.delete('/todos/:id', async (req, reply) => {
    const t = find(req);
    if (!t) return fail(reply, 404, 'no such todo');
    todos.delete(t.id);
    reply.code(204).send();
});
fastify.listen({ port, host: '127.0.0.1' });
