from connect_desktop.store.queries import effective_counts
from connect_desktop.sync.pull import pull


def test_smoke(desk, district):
    result = pull(desk.cache, desk.client)
    with desk.cache.sessions() as s:
        print(effective_counts(s), result)
