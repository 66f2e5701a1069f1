import { test } from '@japa/runner'
import BarChart from '#presenters/bar_chart'

test.group('BarChart.stacked', () => {
  test('stacks segments bottom-up in proportion, on an axis rounded up to a readable maximum', ({
    assert,
  }) => {
    const chart = BarChart.stacked(
      [
        {
          label: 'a',
          segments: [
            { name: 'ok', value: 3, className: 'bar-ok' },
            { name: 'bad', value: 1, className: 'bar-bad' },
          ],
        },
        {
          label: 'b',
          segments: [
            { name: 'ok', value: 0, className: 'bar-ok' },
            { name: 'bad', value: 2, className: 'bar-bad' },
          ],
        },
      ],
      { width: 200, height: 124 }
    )

    // plot from y=8 to y=100 (92 px) for a maximum of 4: 23 px per unit.
    assert.deepEqual(
      chart.yTicks.map((tick) => tick.text),
      ['0', '2', '4']
    )
    const [aOk, aBad, bBad] = chart.segments
    assert.deepInclude(aOk, { name: 'ok', y: 31, height: 69, title: 'a: 3 ok' })
    assert.deepInclude(aBad, { name: 'bad', y: 8, height: 23, title: 'a: 1 bad' })
    assert.deepInclude(bBad, { name: 'bad', y: 54, height: 46 })
    assert.lengthOf(chart.segments, 3, 'empty segments draw nothing')
    assert.equal(chart.total, 6)
    assert.deepEqual(chart.legend, [
      { name: 'ok', className: 'bar-ok' },
      { name: 'bad', className: 'bar-bad' },
    ])
  })

  test('an empty chart still has an axis, and bars never grow wider than 48 px', ({ assert }) => {
    const empty = BarChart.stacked([
      { label: 'x', segments: [{ name: 'ok', value: 0, className: 'bar-ok' }] },
    ])
    assert.deepEqual(
      empty.yTicks.map((tick) => tick.text),
      ['0', '1', '2']
    )
    assert.lengthOf(empty.segments, 0)

    const wide = BarChart.stacked([
      { label: 'x', segments: [{ name: 'ok', value: 1, className: 'bar-ok' }] },
    ])
    assert.equal(wide.segments[0].width, 48)
  })
})
