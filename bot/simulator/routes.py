"""Placeholder replaced by the simulator."""
from fastapi import APIRouter

router = APIRouter()
