import { notePinningTool } from './note-pinning.js';

export default notePinningTool('pin');
