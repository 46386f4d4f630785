"""What users pick instead: FastAPI on uvicorn, the same TODO contract, todos in memory.

``GET``/``POST /todos/{username}`` answer what ours answers (``{"todos", "items", "offset",
"next_offset"}``; the stored todo with its id), written the way FastAPI's documentation shows:
pydantic models for the body and the answers, validated path and query parameters, the bearer
token checked by a dependency (in constant time), ``CORSMiddleware`` for
``https://chat.openai.com``. Todos live in a dict (lost on restart, nothing written to disk).
Run by bench/run.py with ``uvicorn --loop uvloop --http httptools --no-access-log``; not part
of the product.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, Query
from fastapi.middleware.cors import CORSMiddleware
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

TOKEN = os.environ.get("BENCH_SERVICE_TOKEN", "")
USERNAME = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$"

app = FastAPI()
app.add_middleware(
    CORSMiddleware,
    allow_origins=["https://chat.openai.com"],
    allow_methods=["*"],
    allow_headers=["*"],
)
bearer = HTTPBearer()


class NewTodo(BaseModel):
    todo: str = Field(min_length=1, max_length=2000)


class Todo(BaseModel):
    id: int
    todo: str
    created_at: str


class Page(BaseModel):
    todos: list[str]
    items: list[Todo]
    offset: int
    next_offset: int | None


_TODOS: dict[str, list[Todo]] = {}
_NEXT_ID = [0]


def service_token(credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> None:
    """The one service token, compared in constant time."""
    if not secrets.compare_digest(credentials.credentials.encode(), TOKEN.encode()):
        raise HTTPException(401, "invalid token", {"WWW-Authenticate": "Bearer"})


User = Annotated[str, Path(pattern=USERNAME)]


@app.get("/todos/{username}", dependencies=[Depends(service_token)])
async def get_todos(
    username: User,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page:
    todos = _TODOS.get(username, [])
    page = todos[offset : offset + limit]
    more = len(todos) > offset + len(page)
    return Page(
        todos=[todo.todo for todo in page],
        items=page,
        offset=offset,
        next_offset=offset + len(page) if more else None,
    )


@app.post("/todos/{username}", dependencies=[Depends(service_token)])
async def add_todo(username: User, body: NewTodo) -> Todo:
    _NEXT_ID[0] += 1
    created = datetime.now(UTC).isoformat(timespec="seconds")
    todo = Todo(id=_NEXT_ID[0], todo=body.todo, created_at=created)
    _TODOS.setdefault(username, []).append(todo)
    return todo
