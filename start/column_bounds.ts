import { boundEveryModel } from '#validators/column_bounds'

await boundEveryModel()
