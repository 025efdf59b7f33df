"""Orders service: a small FastAPI app with the mistakes backlint exists to catch."""
import hashlib
import os
import random
import subprocess
import time

import jwt
import psycopg2
import requests
import yaml
from fastapi import FastAPI, HTTPException, Request
from sqlalchemy import text
from sqlalchemy.orm import Session

from .db import SessionLocal
from .models import Customer, Order

app = FastAPI(debug=True)

PAYMENTS_URL = os.environ.get("PAYMENTS_URL", "https://payments.internal")
JWT_KEY = os.environ["JWT_KEY"]


def current_user(request: Request) -> dict:
    token = request.headers["authorization"].removeprefix("Bearer ")
    # Signature check switched off "temporarily" during a migration.
    return jwt.decode(token, JWT_KEY, options={"verify_signature": False})


@app.get("/orders/{customer_id}")
async def list_orders(customer_id: int, request: Request):
    user = current_user(request)
    db: Session = SessionLocal()
    orders = db.query(Order).filter(Order.customer_id == customer_id).all()
    result = []
    for order in orders:
        # One query per order instead of one joined query.
        customer = db.execute(text("SELECT name FROM customers WHERE id = :id"), {"id": order.customer_id}).one()
        result.append({"id": order.id, "customer": customer.name, "viewer": user["sub"]})
    return result


@app.post("/orders/{order_id}/pay")
async def pay(order_id: int):
    # Blocks the event loop and has no timeout: one slow payment provider stalls every request.
    response = requests.post(f"{PAYMENTS_URL}/charge", json={"order": order_id}, verify=False)
    time.sleep(0.5)
    return response.json()


@app.post("/reports/{name}")
async def export_report(name: str):
    # Shell command built from a path parameter.
    subprocess.run(f"tar czf /tmp/{name}.tgz /srv/reports/{name}", shell=True, check=True)
    return {"status": "queued"}


@app.post("/import")
async def import_orders(request: Request):
    body = await request.body()
    data = yaml.load(body, Loader=yaml.Loader)
    return {"imported": len(data)}


def reset_code() -> str:
    return str(random.randint(100000, 999999))


def store_password(customer: Customer, password: str) -> None:
    customer.password_hash = hashlib.md5(password.encode()).hexdigest()


@app.post("/customers/{customer_id}/loyalty")
def award_points(customer_id: int, points: int):
    # A new database connection for every request instead of a pool.
    conn = psycopg2.connect(os.environ["DATABASE_URL"])
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE customers SET points = points + %s WHERE id = %s", (points, customer_id))
    # If this fails the partner never hears about the points, and nobody notices.
    try:
        requests.post(f"{PAYMENTS_URL}/loyalty", json={"customer": customer_id}, timeout=5)
    except Exception:
        pass
    return {"ok": True}


@app.get("/health")
async def health():
    # Fine: a cheap check with no I/O.
    return {"ok": True}
