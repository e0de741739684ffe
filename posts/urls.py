from datetime import MAXYEAR, MINYEAR

from django.urls import path, re_path, register_converter

from . import search, views
from .cache import cached_page


class YearConverter:
    """A year a date can have (1 to 9999); any other number matches no page."""

    regex = "[0-9]{1,4}"
    bounds = (MINYEAR, MAXYEAR)

    def to_python(self, value: str) -> int:
        number = int(value)
        if not self.bounds[0] <= number <= self.bounds[1]:
            raise ValueError(f"{number} is out of range")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


class MonthConverter(YearConverter):
    regex = "[0-9]{1,2}"
    bounds = (1, 12)


register_converter(YearConverter, "year")
register_converter(MonthConverter, "month")

app_name = "posts"

urlpatterns = [
    path("", views.home, name="home"),
    path("posts/", views.post_list, name="list"),
    path("recent/", views.recent, name="recent"),
    path("posts/<str:slug>/", views.post_detail, name="detail"),
    re_path(r"^posts/(?P<slug>[^/]+)$", views.post_without_slash),
    path("categories/", views.category_list, name="categories"),
    path("categories/<str:slug>/", views.category_posts, name="category"),
    re_path(r"^categories/(?P<slug>[^/]+)$", views.category_without_slash),
    path("tags/", views.tag_list, name="tags"),
    re_path(r"^tags/(?P<slug>[^/]+)\.html$", views.tag_html),
    path("tags/<str:slug>/", views.tag_posts, name="tag"),
    path("archive/", views.archive_index, name="archive"),
    path("archive/<year:year>/", views.archive, name="archive-year"),
    path("archive/<year:year>/<month:month>/", views.archive, name="archive-month"),
    path("search/", cached_page(search.search_view, query=["q", "category", "tag", "page"]), name="search"),
    path("preview/<str:token>/", views.preview, name="preview"),
]
