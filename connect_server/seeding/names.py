"""Built-in name lists, grouped by background so names, languages and families agree."""

from __future__ import annotations

import functools
import random
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Background:
    """Names that go together, and the home languages families with them speak."""

    weight: float
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    languages: tuple[tuple[str, float], ...]


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


BACKGROUNDS: tuple[Background, ...] = (
    Background(
        0.46,
        _split(
            "Olivia Emma Ava Sophia Isabella Charlotte Amelia Mia Harper Evelyn Abigail Emily "
            "Elizabeth Katherine Margaret Jennifer Madison Hannah Grace Chloe Zoe Lily Natalie "
            "Liam Noah William James Benjamin Lucas Henry Alexander Michael Daniel Matthew "
            "Joseph Samuel David Christopher Andrew Joshua Nicholas Anthony Robert Jonathan "
            "Thomas Ethan Jacob Ryan Tyler Owen Caleb Wyatt Jackson Aiden Dylan Austin"
        ),
        _split(
            "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas "
            "Moore Martin Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen "
            "King Wright Scott Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner "
            "Phillips Campbell Parker Evans Edwards Collins Stewart Morris Murphy Cook Rogers "
            "Morgan Cooper Peterson Reed Bailey Bell Kelly Howard Ward Cox Richardson Wood "
            "Watson Brooks Bennett Gray Hughes Price Sanders Myers Long Ross Foster O'Brien "
            "McCarthy Sullivan Kowalski Novak Schmidt Larsen Johansson Rossi Russo Bianchi"
        ),
        (("en", 1.0),),
    ),
    Background(
        0.27,
        _split(
            "Sofía Valentina Camila Ximena Lucía María Guadalupe Daniela Mariana Gabriela "
            "Alejandra Fernanda Paola Isabel Elena Jimena Renata Ana Carmen Rosa "
            "Santiago Mateo Sebastián Diego Alejandro José Juan Carlos Luis Miguel Jesús "
            "Javier Francisco Guillermo Ángel Emiliano Eduardo Ricardo Fernando Andrés Manuel"
        ),
        _split(
            "García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez Torres "
            "Flores Rivera Gómez Díaz Cruz Morales Reyes Gutiérrez Ortiz Ramos Chávez Mendoza "
            "Ruiz Álvarez Castillo Jiménez Vásquez Romero Herrera Medina Aguilar Vargas Castro "
            "Guzmán Fernández Salazar Delgado Soto Contreras Estrada Núñez Ortega Silva Rojas"
        ),
        (("es", 0.62), ("en", 0.38)),
    ),
    Background(
        0.05,
        _split("Linh Mai Lan Ngoc Thao Trang Huong Anh Minh Quang Tuan Duc Khoa Bao Huy Long Phuc Thanh"),
        _split("Nguyen Tran Le Pham Hoang Huynh Phan Vu Vo Dang Bui Do Ho Ngo Duong Ly"),
        (("vi", 0.6), ("en", 0.4)),
    ),
    Background(
        0.05,
        _split("Mei Xin Yu Jing Hui Lin Yan Ying Wei Jun Hao Jie Lei Ming Tao Yong Zhen Bo"),
        _split("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin He Gao"),
        (("zh", 0.55), ("en", 0.45)),
    ),
    Background(
        0.04,
        _split(
            "Fatima Aisha Maryam Layla Noor Zainab Amira Hana Yasmin Salma "
            "Mohammed Ahmed Omar Ali Yusuf Ibrahim Khalid Hassan Karim Tariq"
        ),
        _split("Al-Sayed Haddad Khalil Nasser Hamdan Mansour Saleh Aziz Darwish Farouk Haddadin Qasim"),
        (("ar", 0.6), ("en", 0.4)),
    ),
    Background(
        0.03,
        _split("Hodan Ayaan Sahra Fadumo Ifrah Nasra Abdi Mahad Liban Farah Guled Abdirahman"),
        _split("Mohamed Abdi Hassan Warsame Osman Jama Farah Ahmed Aden Yusuf Ismail"),
        (("so", 0.55), ("en", 0.45)),
    ),
    Background(
        0.04,
        _split(
            "Priya Ananya Diya Aanya Kavya Isha Saanvi Meera Aarav Vihaan Arjun Rohan Aditya "
            "Krishna Ishaan Dev Rahul Sanjay"
        ),
        _split("Patel Shah Singh Kumar Sharma Gupta Reddy Rao Iyer Desai Mehta Joshi Nair Chopra"),
        (("hi", 0.3), ("pa", 0.15), ("en", 0.55)),
    ),
    Background(
        0.02,
        _split("Seo-yeon Ji-woo Min-ji Ha-eun Soo-ah Min-jun Seo-jun Do-yun Ji-ho Joon-young"),
        _split("Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim"),
        (("ko", 0.5), ("en", 0.5)),
    ),
    Background(
        0.02,
        _split("Anastasia Daria Sofiya Polina Olena Ivan Dmitri Mykola Artem Oleksandr Maksim"),
        _split("Ivanov Petrenko Kovalenko Shevchenko Smirnov Bondarenko Popov Melnyk Volkov Sokolova"),
        (("ru", 0.3), ("uk", 0.3), ("en", 0.4)),
    ),
    Background(
        0.02,
        _split("Widline Nadège Roseline Fabiola Stéphanie Jean-Pierre Wilson Ricardo Mackenson Frantz"),
        _split("Jean-Baptiste Pierre Joseph Louis Charles Étienne Dorvil Toussaint Desir Baptiste"),
        (("ht", 0.45), ("fr", 0.15), ("en", 0.4)),
    ),
)

NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Robert": ("Bob", "Rob", "Bobby"),
    "Katherine": ("Kate", "Katie", "Kathy"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Jennifer": ("Jenny", "Jen"),
    "Michael": ("Mike", "Mikey"),
    "Alexander": ("Alex", "Xander"),
    "Christopher": ("Chris",),
    "Benjamin": ("Ben", "Benny"),
    "Nicholas": ("Nick", "Nico"),
    "Joseph": ("Joe", "Joey"),
    "Anthony": ("Tony",),
    "Matthew": ("Matt",),
    "Daniel": ("Dan", "Danny"),
    "Samuel": ("Sam", "Sammy"),
    "Jonathan": ("Jon", "Johnny"),
    "Joshua": ("Josh",),
    "Andrew": ("Andy", "Drew"),
    "Thomas": ("Tom", "Tommy"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Abigail": ("Abby",),
    "Isabella": ("Bella", "Izzy"),
    "Alejandro": ("Alex", "Ale"),
    "Francisco": ("Paco", "Pancho"),
    "José": ("Pepe",),
    "Guillermo": ("Memo",),
    "Eduardo": ("Lalo",),
    "Guadalupe": ("Lupe",),
    "Alejandra": ("Ale",),
    "Fernando": ("Nando",),
    "Mohammed": ("Mo",),
    "Ibrahim": ("Abe",),
    "Anastasia": ("Nastya",),
    "Oleksandr": ("Sasha",),
    "Dmitri": ("Dima",),
}
"""Formal first names and the short forms schools see typed in."""

GUARDIAN_RELATIONSHIPS: tuple[str, ...] = (
    "mother",
    "father",
    "guardian",
    "grandmother",
    "grandfather",
    "aunt",
)

_KEYBOARD_NEIGHBOURS = {
    "a": "sq",
    "e": "wr",
    "i": "uo",
    "o": "ip",
    "u": "yi",
    "n": "bm",
    "m": "n",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "l": "k",
    "h": "gj",
}


def pick_background(rng: random.Random) -> int:
    """The index of a background, by how common it is in the demo district."""
    return rng.choices(range(len(BACKGROUNDS)), [b.weight for b in BACKGROUNDS])[0]


def pick_language(rng: random.Random, background: Background) -> str:
    codes, weights = zip(*background.languages, strict=True)
    return rng.choices(codes, weights)[0]


def with_typo(name: str, rng: random.Random) -> str:
    """`name` with one slip of the keyboard: a swap, a drop, a double or a neighbour key."""
    for _ in range(20):
        chars = list(name)
        pos = rng.randrange(1, len(chars)) if len(chars) > 1 else 0
        kind = rng.randrange(4)
        if kind == 0 and pos > 0:
            chars[pos - 1], chars[pos] = chars[pos], chars[pos - 1]
        elif kind == 1 and len(chars) > 3:
            del chars[pos]
        elif kind == 2:
            chars.insert(pos, chars[pos])
        else:
            near = _KEYBOARD_NEIGHBOURS.get(chars[pos].lower())
            if near:
                chars[pos] = rng.choice(near)
        typed = "".join(chars)
        if typed != name and typed.casefold() != name.casefold():
            return typed
    return name + name[-1]


@functools.lru_cache(maxsize=8192)
def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters of `text`, for e-mail addresses ("Núñez" → "nunez")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())
