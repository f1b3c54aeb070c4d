import cProfile, pstats, asyncio
from tests.store.reviews.conftest import *  # noqa
from tests.store.reviews.conftest import Town
from tests.store.reviews.year_model import people
from tests.store.reviews.test_year import settle_in, live_the_year

def test_prof(town: Town, content) -> None:
    folk = people(500)
    settle_in(town, folk)
    pr = cProfile.Profile()
    pr.enable()
    asyncio.run(live_the_year(town, content, folk))
    pr.disable()
    pstats.Stats(pr).sort_stats("cumulative").print_stats(40)
