"""Sign-in and sign-out for the handbook's readers (the pages themselves are served by Wagtail at /)."""
from django.contrib.auth import views as auth_views
from django.urls import path

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="handbook/login.html", next_page="/"),
         name="handbook_login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/accounts/login/"), name="handbook_logout"),
]
