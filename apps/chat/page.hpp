#pragma once
// The chat page: one self-contained document (no external assets).
constexpr const char* chat_page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nodus chat</title>
<link rel="icon" href="data:,">
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 40rem; padding: 1rem; }
  #status { font-weight: 600; }
  #status.connected { color: #16794c; }
  #status.disconnected { color: #b3261e; }
  ul { list-style: none; padding: 0; border: 1px solid #ccc; height: 20rem; overflow-y: auto; }
  li { padding: .2rem .5rem; border-bottom: 1px solid #eee; }
  form { display: flex; gap: .5rem; }
  input { flex: 1; padding: .4rem; }
</style>
</head>
<body>
<h1>nodus chat</h1>
<p>WebSocket: <span id="status">connecting</span> &middot; events: <span id="events-status">connecting</span></p>
<ul id="messages"></ul>
<h2>Events</h2>
<ul id="events"></ul>
<form id="send">
  <input id="text" autocomplete="off" placeholder="Say something" maxlength="1000">
  <button>Send</button>
</form>
<script>
"use strict";
const status = document.getElementById("status");
const messages = document.getElementById("messages");
const events = document.getElementById("events");
const scheme = location.protocol === "https:" ? "wss:" : "ws:";
let socket;

function add(list, text) {
  const li = document.createElement("li");
  li.textContent = text;
  list.appendChild(li);
  list.scrollTop = list.scrollHeight;
}

function connect() {
  socket = new WebSocket(scheme + "//" + location.host + "/chat");
  socket.onopen = () => { status.textContent = "connected"; status.className = "connected"; };
  socket.onmessage = (e) => add(messages, e.data);
  socket.onclose = () => {
    status.textContent = "disconnected";
    status.className = "disconnected";
    setTimeout(connect, 1000);
  };
}
connect();

const source = new EventSource("/events");
const eventsStatus = document.getElementById("events-status");
source.onopen = () => { eventsStatus.textContent = "connected"; };
source.onerror = () => { eventsStatus.textContent = "reconnecting"; };
source.onmessage = (e) => add(events, e.lastEventId + ": " + e.data);

document.getElementById("send").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = document.getElementById("text");
  if (input.value && socket.readyState === WebSocket.OPEN) socket.send(input.value);
  input.value = "";
});
</script>
</body>
</html>
)html";
