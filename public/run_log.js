// Follows a running run's log on its page: appends the lines the server streams (SSE).
;(function () {
  const log = document.getElementById('run-log')
  const state = document.getElementById('run-log-state')
  if (!log || log.dataset.follow !== 'true' || !window.EventSource) return

  const source = new EventSource(
    log.dataset.streamUrl + '?after=' + encodeURIComponent(log.dataset.lastSeq)
  )

  source.addEventListener('line', (event) => {
    const line = JSON.parse(event.data)
    if (log.querySelector('[data-seq="' + line.seq + '"]')) return
    const item = document.createElement('li')
    item.className = 'log-line log-' + line.level
    item.dataset.seq = String(line.seq)
    for (const [name, text] of [
      ['log-seq', line.seq],
      ['log-level', line.level],
      ['log-message', line.message],
    ]) {
      const span = document.createElement('span')
      span.className = name
      span.textContent = String(text)
      item.appendChild(span)
    }
    const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40
    log.appendChild(item)
    if (atBottom) item.scrollIntoView({ block: 'end' })
  })

  source.addEventListener('end', (event) => {
    source.close()
    const { status } = JSON.parse(event.data)
    if (state)
      state.textContent =
        'The run ended (' + String(status).replace('_', ' ') + '). Reload for its results.'
  })
})()
