// A file's bytes as base64, the form the contract carries them in (JSON over a WebSocket or IPC).
// FileReader encodes natively: a 60 MB image does not go through a JavaScript loop.
export function fileToBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => {
      const url = String(reader.result)
      resolve(url.slice(url.indexOf(',') + 1))
    }
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read'))
    reader.readAsDataURL(file)
  })
}
