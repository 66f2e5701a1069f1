/** One coloured part of a bar (a status, an outcome). */
export type Segment = { name: string; value: number; className: string }
export type Column = { label: string; segments: Segment[] }

export type PlacedSegment = Segment & {
  x: number
  y: number
  width: number
  height: number
  title: string
}
export type ChartGeometry = {
  width: number
  height: number
  plot: { left: number; top: number; right: number; bottom: number }
  segments: PlacedSegment[]
  xLabels: { x: number; y: number; text: string }[]
  yTicks: { y: number; text: string }[]
  legend: { name: string; className: string }[]
  total: number
}

/**
 * Lays out a stacked bar chart for inline SVG, so pages show charts without any script or
 * external library: the template only draws the rectangles and labels computed here.
 */
export default class BarChart {
  static stacked(
    columns: Column[],
    options: { width?: number; height?: number; labelEvery?: number } = {}
  ): ChartGeometry {
    const width = options.width ?? 640
    const height = options.height ?? 200
    const plot = { left: 32, top: 8, right: width - 8, bottom: height - 24 }
    const totals = columns.map((column) =>
      column.segments.reduce((sum, segment) => sum + segment.value, 0)
    )
    const max = niceMaximum(Math.max(0, ...totals))
    const slot = (plot.right - plot.left) / Math.max(columns.length, 1)
    const barWidth = Math.min(48, Math.max(2, slot * 0.7))
    const scale = (plot.bottom - plot.top) / max
    const labelEvery = options.labelEvery ?? 1

    const segments: PlacedSegment[] = []
    const xLabels: ChartGeometry['xLabels'] = []
    columns.forEach((column, index) => {
      const x = plot.left + index * slot + (slot - barWidth) / 2
      let base = plot.bottom
      for (const segment of column.segments) {
        if (segment.value <= 0) continue
        const barHeight = segment.value * scale
        base -= barHeight
        segments.push({
          ...segment,
          x: round(x),
          y: round(base),
          width: round(barWidth),
          height: round(barHeight),
          title: `${column.label}: ${segment.value} ${segment.name}`,
        })
      }
      if (index % labelEvery === 0) {
        xLabels.push({
          x: round(plot.left + index * slot + slot / 2),
          y: height - 8,
          text: column.label,
        })
      }
    })

    const yTicks = [0, max / 2, max].map((value) => ({
      y: round(plot.bottom - value * scale),
      text: String(Math.round(value)),
    }))
    const legend = new Map<string, string>()
    for (const column of columns) {
      for (const segment of column.segments) legend.set(segment.name, segment.className)
    }
    return {
      width,
      height,
      plot,
      segments,
      xLabels,
      yTicks,
      legend: [...legend].map(([name, className]) => ({ name, className })),
      total: totals.reduce((sum, total) => sum + total, 0),
    }
  }
}

/** An axis maximum whose half is a whole number: 2, 4, 6, 8, 10, 20, 40… */
function niceMaximum(value: number) {
  if (value <= 2) return 2
  const magnitude = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 4, 6, 8, 10]) {
    if (step * magnitude >= value) return step * magnitude
  }
  return 10 * magnitude
}

function round(value: number) {
  return Math.round(value * 10) / 10
}
