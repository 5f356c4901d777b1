"""The example's URLs: the success page Rupt sends the user to, and the endpoint it posts to."""

from django.urls import path
from rupt_login import views

urlpatterns = [
    path("verified", views.success_page, name="verified"),
    path("verify-challenge", views.verify_challenge, name="verify-challenge"),
]
