#!/usr/bin/env python3
"""Writes demo/accounts.jsonl: the demo court's accounts as an import file.

Every hash is made here by an implementation independent of the service:
OpenSSL (MD5-crypt, SHA-crypt), Python's bcrypt package, hashlib (PBKDF2,
scrypt) and argon2-cffi (argon2id at the service's default cost, argon2i).
The passwords are listed in the README; they are demo data only.

Requirements: openssl on PATH, `pip install bcrypt argon2-cffi`.
Usage: python3 demo/make_accounts.py > demo/accounts.jsonl
"""

import base64
import hashlib
import json
import os
import subprocess

import argon2
import bcrypt


def b64(raw):
    return base64.b64encode(raw).decode().rstrip("=")


def openssl(flag, password):
    out = subprocess.run(["openssl", "passwd", flag, "-stdin"], input=password.encode(),
                         capture_output=True, check=True)
    return out.stdout.decode().strip()


def argon2id(password):
    # The service's default cost, so these accounts are never rehashed.
    return argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1,
                                 type=argon2.Type.ID).hash(password)


def argon2i(password):
    return argon2.PasswordHasher(time_cost=3, memory_cost=4096, parallelism=1,
                                 type=argon2.Type.I).hash(password)


def pbkdf2_sha256(password):
    salt, rounds = os.urandom(16), 100_000
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, rounds)
    return f"$pbkdf2-sha256$i={rounds},l=32${b64(salt)}${b64(digest)}"


def pbkdf2_sha512(password):
    salt, rounds = os.urandom(16), 50_000
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, rounds)
    return f"$pbkdf2-sha512$i={rounds},l=64${b64(salt)}${b64(digest)}"


def scrypt(password):
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"$scrypt$ln=14,r=8,p=1${b64(salt)}${b64(digest)}"


def bcrypt_2b(password):
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10, prefix=b"2b")).decode()


def pacer(username, name, upgraded, password_hash):
    return {"pacer": {"username": username, "displayName": name, "upgraded": upgraded,
                      "passwordHash": password_hash}}


def ecf(login, name, password_hash):
    return {"ecf": {"courtId": "cod", "login": login, "displayName": name,
                    "passwordHash": password_hash}}


# The court's own training accounts (its linking instructions).
records = [
    pacer("hhumbert", "Humbert Humbert", True, argon2id("Humbert-Train-2021!")),
    pacer("cquilty", "Clare Quilty", False, argon2id("Quilty-Legacy-2021!")),
    ecf("coattorneytwo", "ColoradoTest AttorneyTwo", argon2id("AttorneyTwo-Ecf-2021!")),
]

# One pair per imported format: the PACER account and the CM/ECF account
# share the password, and the CM/ECF side spells the name as legacy systems do.
FORMATS = [
    ("md5", "Dolores Haze", "Haze, Dolores", lambda p: openssl("-1", p)),
    ("sha256", "Charlotte Becker", "BECKER, CHARLOTTE", lambda p: openssl("-5", p)),
    ("sha512", "John Farlow", "Farlow, John", lambda p: openssl("-6", p)),
    ("bcrypt", "Gaston Godin", "Godin, Gaston", bcrypt_2b),
    ("pbkdf2", "Jean Farlow", "FARLOW,  Jean", pbkdf2_sha256),
    ("pbkdf2sha512", "Mona Dahl", "Dahl, Mona", pbkdf2_sha512),
    ("scrypt", "Vivian Darkbloom", "Darkbloom, Vivian", scrypt),
    ("argon2i", "Ivor Quilty", "Quilty, Ivor", argon2i),
]
for tag, pacer_name, ecf_name, make in FORMATS:
    password = f"Legacy-{tag}-2021!"
    records.append(pacer(f"legacy{tag}", pacer_name, True, make(password)))
    records.append(ecf(f"colegacy{tag}", ecf_name, make(password)))

for record in records:
    print(json.dumps(record, separators=(",", ":")))
