// The typed window.api arrives with the IPC contract (shell issue). Until then the preload exposes nothing:
// in particular never ipcRenderer or process.env.
export {}
