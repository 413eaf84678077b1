// What real browsers and Electron have and jsdom 26 does not, filled in with jsdom's own pieces.

// Blob#text (File#text): the file input and the drop zone read a config with it. jsdom's FileReader does.
if (typeof Blob.prototype.text !== 'function') {
  Blob.prototype.text = function text(this: Blob): Promise<string> {
    return new Promise((resolve, reject) => {
      const reader = new FileReader()
      reader.onload = () => resolve(String(reader.result))
      reader.onerror = () => reject(reader.error)
      reader.readAsText(this)
    })
  }
}

export {}
