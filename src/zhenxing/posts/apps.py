from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostsConfig(AppConfig):
    name = "zhenxing.posts"
    label = "posts"
    verbose_name = _("Responsibility posts")

    def ready(self) -> None:
        from zhenxing.core.navigation import NavItem, register
        from zhenxing.posts.permissions import holds_any_post, sees_posts

        # 党建引领: the member's own posts first (the phone), then the office's pages.
        register(NavItem("party", _("My posts"), "posts:mine", holds_any_post, 5))
        register(NavItem("party", _("Responsibility posts"), "posts:list", sees_posts, 10))
        register(NavItem("party", _("Patrol logs"), "posts:patrols", sees_posts, 20))
        register(NavItem("party", _("Red grid"), "posts:grid", sees_posts, 30))
        register(NavItem("party", _("Party-work figures"), "posts:figures", sees_posts, 40))

        # The red grid and the posts on the territory's region pages.
        from zhenxing.posts.panels import region_panel
        from zhenxing.territory.panels import register as register_panel

        register_panel(region_panel)
