//! Fixtures from independent implementations (OpenSSL, mkpasswd, Python's
//! bcrypt, hashlib, passlib and argon2-cffi), malformed strings, and
//! mutations that must never panic.
use super::*;

/// Made by `gen_fixtures.py` with OpenSSL, mkpasswd, passlib, hashlib,
/// the `bcrypt` package and argon2-cffi: (format, hash, password).
const FIXTURES: &[(HashFormat, &str, &str)] = &[
    (
        HashFormat::Md5Crypt,
        "$1$saltsalt$ZliGyAN3DciDHEkDboonh/",
        "hunter2",
    ),
    (
        HashFormat::Md5Crypt,
        "$1$Odwja.Zd$RuTJV7sbHrUj2xdkIUdal1",
        "correct horse battery staple",
    ),
    (
        HashFormat::Md5Crypt,
        "$1$ab$bRZzLnQPD1ql12pSoshc71",
        "pässwörd",
    ),
    (
        HashFormat::Md5Crypt,
        "$1$ZABitGma$VDIayAYySgoto/Y74SgTD.",
        "a long passphrase that is well over sixty-four bytes long, to cross a block",
    ),
    (
        HashFormat::Md5Crypt,
        "$1$3lKRE7.Q$WudIjEhb5Pn36Ty9V4RFk1",
        "mkpasswd md5",
    ),
    (
        HashFormat::Sha256Crypt,
        "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
        "Hello world!",
    ),
    (
        HashFormat::Sha256Crypt,
        "$5$qY67PwItxKIjTeLw$z7HMLvu8xabv3dynNOQ1ozJmsDYF/gTAUXy14ukOJf7",
        "hunter2",
    ),
    (
        HashFormat::Sha256Crypt,
        "$5$thisisaverylongs$/g66hpS3NUqsDmpBAws.YnQ8vTEX9bGRBp/Q3AaIqKB",
        "a long passphrase that is well over sixty-four bytes long, to cross a block",
    ),
    (
        HashFormat::Sha256Crypt,
        "$5$rounds=12345$roundsalt$eGJT1qo2a63hp2tJcMxvZiH7lEGNUlFtVo5SZ9.Nfb1",
        "rounds pass",
    ),
    (
        HashFormat::Sha256Crypt,
        "$5$rounds=1000$xLVucx1BDHNbwpMN$lE5Hmu1Rrf8ntoNH/9s6Utg0Xm7fN.wuNt4jx7rlrH2",
        "pässwörd",
    ),
    (
        HashFormat::Sha512Crypt,
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
        "Hello world!",
    ),
    (
        HashFormat::Sha512Crypt,
        "$6$EObNPnrlal4HY4W5$yy4NwNbA1TO9n7C2vHrwBfItXdNkhWI3d.HzHGJ9HH37ilYpQL/A.iO/.IHzkHN11DxwNNxS6onl5Ym0MmQ5X1",
        "hunter2",
    ),
    (
        HashFormat::Sha512Crypt,
        "$6$thisisaverylongs$CSDQBE0HPFa9Wp2ZJldNvZLh8lk0qvuFzoZVyNVcRMm8ttwlxaAbTUKfe6hg9/Oj1azOa1n4g1c8rgaG7nS/o/",
        "a long passphrase that is well over sixty-four bytes long, to cross a block",
    ),
    (
        HashFormat::Sha512Crypt,
        "$6$rounds=1000$idk/uhPgdGMC9Tom$ydqOzK7kZeYyTphk5wZz8GjxwlGNHbjIuBi/lcKi8RjgLXiadYt6NfoX7DX6iZjAhCvLBpOjf1ydLEIrAnrsG/",
        "rounds pass",
    ),
    (
        HashFormat::Sha512Crypt,
        "$6$rounds=20000$1yBySZOhS8IRww8j$D3GDVj0RvaHCVpCxOZ/.QHfKPs0ND6EEBifilVFP1.can5X9GEwZ.77A1GF5KtCsEdh2tRHEFYfF.9W/so8OS.",
        "pässwörd",
    ),
    (
        HashFormat::Bcrypt,
        "$2b$04$ADnnoXRzL8xZ9DqdP/Q48.GSUB4ZjiFSn3v5P0BTITOJCWrFbIUfu",
        "hunter2",
    ),
    (
        HashFormat::Bcrypt,
        "$2a$05$8acN5mpzxVOvkWoHOZJ/AutyJedIplAfJAn2y1TWDDKQy4IykzqPS",
        "pässwörd",
    ),
    (
        HashFormat::Bcrypt,
        "$2b$10$di/wVwDa8dvd4HU7GpwU4uNSck65wtbMcVaW2se41pDJyqdppVU/6",
        "correct horse battery staple",
    ),
    (
        HashFormat::Bcrypt,
        "$2y$04$8g/HDSXWWf27WyUtsTUeU.RUVU4kEhZSPD0YecE.P/HBf.kj/dTg.",
        "php style",
    ),
    (
        HashFormat::Bcrypt,
        "$2a$04$qEiegftce64oyFB3WfYNqezg3P8VtZZb3tJlizZinndHy67KyM0VK",
        "",
    ),
    (
        HashFormat::Bcrypt,
        "$2a$05$PFI5uVSDTeNKzfNrjqHY1ukwVNVlvC9gQ5ZInL1koO.HVNiEDku16",
        "mkpasswd bcrypt",
    ),
    (
        HashFormat::Pbkdf2Sha256,
        "$pbkdf2-sha256$i=1000,l=32$c2l4dGVlbiBieXRlIHNhbA$oZCQho0sxuCg/YzCSXlkbZKM+Czx6FW7U8RMscvRB7E",
        "hunter2",
    ),
    (
        HashFormat::Pbkdf2Sha256,
        "$pbkdf2-sha256$i=1$CAkKCwwNDg8QERITFBUWFw$Y7WzHuSRr/XHgHhXMLu2o/wT9Vo",
        "pässwörd",
    ),
    (
        HashFormat::Pbkdf2Sha256,
        "$pbkdf2-sha256$1500$.d9bq1VqTQkh5FyLMcZYCw$o.Z1KAh9NbQyL./ElyXHbPK4rqEmU99VxbGlMyuDs18",
        "passlib form",
    ),
    (
        HashFormat::Pbkdf2Sha512,
        "$pbkdf2-sha512$i=2000,l=64$MDEyMzQ1Njc4OWFiY2RlZg$8vcnpMeMbn/I/IFq70kXV0ywJR1ULsbWelATBbwODgfkKntYRKx2zXhUhhcKs5aPcuJwA1A1BjpnFC1JKvT44A",
        "hunter2",
    ),
    (
        HashFormat::Pbkdf2Sha512,
        "$pbkdf2-sha512$1200$MEbImVPqHYOQEkJozbkXog$WFCuxuCUkpug/BaIQ14BDGyF387TliY1OnT0yhA9QpJX2FEZoPJhTF4ukGtwkZ0lhxqjoArz9mIYDZ2HXhRHNw",
        "passlib form",
    ),
    (
        HashFormat::Pbkdf2Sha512,
        "$pbkdf2-sha512$1$bA2hNMZYy7n3XguBsHZO6Q$UfIakm15Vd1Y.JheVm15RyOVBEHQFB5aOjLub5r8HNNaUQAaEk4dsp0MOTnI.iFNCtIsrxxX9hFZfYLd6q6LeQ",
        "hunter2",
    ),
    (
        HashFormat::Scrypt,
        "$scrypt$ln=10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$W1RyF2xvGe5I442Lvz4kh8752PiYDxsIhW4ku7AFJj0",
        "hunter2",
    ),
    (
        HashFormat::Scrypt,
        "$scrypt$ln=12,r=4,p=2$AAECAwQFBgcICQoLDA0ODw$OEo3tBuRfmNBKyuob8rldGZEGywC7JfiNq1seeL7oOKE5eElsy0f3A",
        "pässwörd",
    ),
    (
        HashFormat::Scrypt,
        "$scrypt$ln=11,r=8,p=1$FWLMWau11vqfMwYAAKC0Vg$XM4NFwhQpzo2Yyyuj8Ot72gojV0HaKRZ5DxcmviK+Bk",
        "passlib form",
    ),
    (
        HashFormat::Argon2id,
        "$argon2id$v=19$m=256,t=2,p=1$kYTCAlcNiW1XSGIa/kgxlQ$4rFaMOQ/Agr81+l+93XgtaKMrZSgnI1GY6hoHPmIFUo",
        "hunter2",
    ),
    (
        HashFormat::Argon2id,
        "$argon2id$v=19$m=65536,t=3,p=4$9EM4wq30gKLR4EzI1uQJgg$lIFt1NJ+wmKR2OK8G10Jzk1fsnJ4dyAVFgCUJEGZeog",
        "correct horse battery staple",
    ),
    (
        HashFormat::Argon2id,
        "$argon2id$v=19$m=512,t=1,p=2$AMCpszhy5pLXgYcRe8wDnA$i1lZ7j15EOr+R6VBR06cq7AuvDUgP1vQJJ77nywWV/c",
        "pässwörd",
    ),
    (
        HashFormat::Argon2i,
        "$argon2i$v=19$m=256,t=3,p=1$j2wLu54yWmQVqBEd2JnEtQ$PRWaNnl2qUWVIvMpCID6WVp7E8cM2m5yLc0D8fWBLxE",
        "hunter2",
    ),
    (
        HashFormat::Argon2i,
        "$argon2i$v=16$m=128,t=2,p=1$qkTmogg6/79iiCJwVoxznQ$RV6xiI9jnOP7pGeF/0qKWIgJ9U5ohwywbb0SWYN57wE",
        "version 16",
    ),
];

#[test]
fn fixtures_parse_and_verify() {
    for &(format, hash, password) in FIXTURES {
        assert_eq!(parse(hash), Ok(format), "{hash}");
        assert_eq!(verify(hash, password.as_bytes()), Ok(true), "{hash}");
        let wrong = format!("{password}x");
        assert_eq!(verify(hash, wrong.as_bytes()), Ok(false), "{hash}");
        assert_eq!(verify(hash, b"Hunter2"), Ok(false), "{hash}");
    }
}

fn fixture(format: HashFormat) -> &'static str {
    FIXTURES.iter().find(|f| f.0 == format).unwrap().1
}

fn refused(input: &str) -> UnsupportedHash {
    let err = parse(input).expect_err(input);
    assert_eq!(verify(input, b"hunter2"), Err(err.clone()), "{input}");
    if !input.is_empty() {
        assert!(!err.to_string().contains(input), "{input}");
    }
    err
}

#[test]
fn refuses_malformed() {
    let md5 = fixture(HashFormat::Md5Crypt);
    let sha256 = fixture(HashFormat::Sha256Crypt);
    let bcrypt = fixture(HashFormat::Bcrypt);
    let pbkdf2 = fixture(HashFormat::Pbkdf2Sha256);
    let passlib = FIXTURES
        .iter()
        .map(|f| f.1)
        .find(|hash| hash.starts_with("$pbkdf2-sha256$1500$"))
        .unwrap();
    let scrypt = fixture(HashFormat::Scrypt);
    let argon2 = fixture(HashFormat::Argon2id);
    let cases = [
        String::new(),
        "hunter2".into(),
        "$".into(),
        "$7$CU..../....2H7cPQjfDmtC9q7DsmUMb2$Ic.r6TvBBYUnqzpCGmRkrXtn/cVZcfKYELZsYbVTqv4".into(),
        "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7".into(),
        format!("$2x${}", &bcrypt[4..]),
        format!("$2b$31${}", &bcrypt[7..]),
        format!("$2b$03${}", &bcrypt[7..]),
        format!("$2b$17${}", &bcrypt[7..]),
        format!("$2b$4${}", &bcrypt[7..]),
        format!("{}!", &bcrypt[..59]),
        format!("{}$", &bcrypt[..59]),
        "$1$saltsalt$ZliGyAN3DciDHEkDboonh".into(),
        "$1$saltsalt$ZliGyAN3DciDHEkDboonh/A".into(),
        "$1$saltsalt$ZliGyAN3DciDHEkDboonhz".into(),
        "$1$saltsalt$ZliGyAN3Dci*HEkDboonh/".into(),
        "$1$saltsalt9$ZliGyAN3DciDHEkDboonh/".into(),
        "$1$$ZliGyAN3DciDHEkDboonh/".into(),
        "$1$salt:alt$ZliGyAN3DciDHEkDboonh/".into(),
        format!("{md5}$"),
        sha256.replace("$saltstring$", "$rounds=999$saltstring$"),
        sha256.replace("$saltstring$", "$rounds=10000001$saltstring$"),
        sha256.replace("$saltstring$", "$rounds=05000$saltstring$"),
        sha256.replace("$saltstring$", "$rounds=$saltstring$"),
        sha256.replace("$saltstring$", "$rounds=5000x$saltstring$"),
        sha256.replace("$saltstring$", "$saltstringsaltstr$"),
        sha256.replace("$saltstring$", "$$"),
        sha256[..sha256.len() - 1].into(),
        sha256.replace("$5$", "$6$"),
        pbkdf2.replace("i=1000", "i=10000001"),
        pbkdf2.replace("i=1000", "i=01000"),
        pbkdf2.replace("l=32", "l=31"),
        pbkdf2.replace("i=1000,l=32", "l=32"),
        pbkdf2.replace("i=1000,l=32", "i=1000,l=32,x=1"),
        pbkdf2.replace("$i=", "$v=1$i="),
        pbkdf2.replace("oZCQ", "oZC."),
        pbkdf2[..pbkdf2.len() - 2].into(),
        passlib.replace("$1500$", "$0$"),
        passlib.replace("$1500$", "$01500$"),
        passlib[..passlib.len() - 1].into(),
        format!("{}+", &passlib[..passlib.len() - 1]),
        passlib.replace("$1500$", "$1500$$"),
        passlib.replace("$pbkdf2-sha256$", "$pbkdf2-sha512$"),
        passlib.replace("$pbkdf2-sha256$", "$pbkdf2$"),
        scrypt.replace("ln=10", "ln=30"),
        scrypt.replace("ln=10", "ln=0"),
        scrypt.replace("ln=10,r=8", "ln=19,r=8"),
        scrypt.replace("r=8,p=1", "r=8,p=0"),
        scrypt.replace("r=8,p=1", "r=33,p=1"),
        scrypt.replace("r=8,p=1", "r=8,p=17"),
        scrypt.replace("r=8,p=1", "r=8"),
        scrypt.replace("ln=10,r=8,p=1", "ln=17,r=8,p=16"),
        scrypt.replace("ln=10,r=8,p=1", "r=8,ln=10,p=1"),
        scrypt[..scrypt.len() - 1].into(),
        argon2.replace("$v=19$", "$"),
        argon2.replace("$v=19$", "$v=18$"),
        argon2.replace("m=256", "m=131073"),
        argon2.replace("m=256,t=2", "m=1048576,t=5"),
        argon2.replace("t=2", "t=101"),
        argon2.replace("p=1", "p=17"),
        argon2.replace("m=256", "m=4"),
        argon2.replace("p=1", "p=1,keyid=AAAA"),
        argon2.replace("$argon2id$", "$argon2d$"),
        argon2[..argon2.len() - 1].into(),
        format!("{argon2}$"),
        format!("{}\u{e9}", &md5[..md5.len() - 1]),
        format!("$6${}", "a".repeat(600)),
    ];
    for case in &cases {
        refused(case);
    }
    assert_eq!(refused("$7$"), UNKNOWN);
    assert_eq!(refused(&format!("$2b$31${}", &bcrypt[7..])), TOO_COSTLY);
    assert_eq!(refused(&scrypt.replace("ln=10", "ln=30")), TOO_COSTLY);
    assert_eq!(refused(&pbkdf2.replace("i=1000", "i=0")), TOO_COSTLY);
}

#[test]
fn accepts_bounds_edges() {
    let bcrypt = fixture(HashFormat::Bcrypt);
    let sha512 = fixture(HashFormat::Sha512Crypt);
    let scrypt = fixture(HashFormat::Scrypt);
    let argon2 = fixture(HashFormat::Argon2id);
    let edges = [
        (HashFormat::Bcrypt, format!("$2b$16${}", &bcrypt[7..])),
        (
            HashFormat::Sha512Crypt,
            sha512.replace("$saltstring$", "$rounds=10000000$saltstring$"),
        ),
        (
            HashFormat::Scrypt,
            scrypt.replace("ln=10,r=8,p=1", "ln=20,r=1,p=4"),
        ),
        (
            HashFormat::Scrypt,
            scrypt.replace("ln=10,r=8,p=1", "ln=14,r=32,p=8"),
        ),
        (
            HashFormat::Argon2id,
            argon2.replace("m=256,t=2", "m=131072,t=8"),
        ),
        (
            HashFormat::Argon2id,
            argon2.replace("t=2,p=1", "t=100,p=16"),
        ),
    ];
    for (format, hash) in &edges {
        assert_eq!(parse(hash), Ok(*format), "{hash}");
    }
}

#[test]
fn survives_mutations() {
    // Cheap fixtures only, since every mutant that parses is also verified.
    let cheap = [
        "$1$",
        "$5$rounds=1000$",
        "$6$rounds=1000$",
        "$2b$04$",
        "$pbkdf2-sha256$i=1$",
        "$pbkdf2-sha512$1$",
        "$scrypt$ln=10,",
        "$argon2id$v=19$m=256,",
        "$argon2i$v=16$",
    ];
    let seeds = cheap.map(|prefix| {
        FIXTURES
            .iter()
            .map(|f| f.1)
            .find(|hash| hash.starts_with(prefix))
            .unwrap()
    });
    let check = |mutant: &str| {
        let parsed = parse(mutant);
        let verified = verify(mutant, b"hunter2");
        assert_eq!(parsed.is_ok(), verified.is_ok(), "{mutant}");
    };
    for seed in seeds {
        for end in 0..seed.len() {
            check(&seed[..end]);
        }
        for (i, original) in seed.char_indices() {
            for replacement in ['$', '.', '/', '+', '=', ',', 'A', 'z', '0', '9', '\u{e9}'] {
                if replacement != original {
                    let mut mutant = seed.to_owned();
                    mutant.replace_range(i..i + 1, replacement.encode_utf8(&mut [0; 4]));
                    check(&mutant);
                }
            }
        }
    }
}

#[test]
fn every_format_has_fixtures() {
    use HashFormat::*;
    for format in [
        Argon2id,
        Argon2i,
        Bcrypt,
        Sha256Crypt,
        Sha512Crypt,
        Md5Crypt,
        Pbkdf2Sha256,
        Pbkdf2Sha512,
        Scrypt,
    ] {
        assert!(FIXTURES.iter().any(|f| f.0 == format), "{}", format.name());
        assert_eq!(format.is_current(), format == Argon2id);
    }
}
