"""The shop profile: the facts about a shop that decide what an agent may promise."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class InvoiceProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company: str | None = Field(default=None, max_length=100, description="开票公司（与店铺营业执照一致）")
    categories: list[str] | None = Field(default=None, max_length=50, description="可开票的类目")


class ShopProfile(BaseModel):
    """Every field is optional: an unknown fact makes a rule take its cautious default."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=100, description="店铺名")
    carriers: list[str] | None = Field(default=None, max_length=30, description="本店合作的快递")
    ship_within_hours: int | None = Field(default=None, ge=1, le=24 * 60, description="承诺发货时效（小时）")
    seven_day_return: bool | None = Field(default=None, description="是否支持七天无理由退货")
    invoice: InvoiceProfile | None = None

    def merged(self, override: ShopProfile | None) -> ShopProfile:
        """This profile with the fields that ``override`` sets replacing ours."""
        if override is None:
            return self
        # Both are valid already and every field stands alone: no second validation (about
        # 20 µs of every request that sends its own shop profile).
        return self.model_copy(update={name: getattr(override, name) for name in override.model_fields_set})
