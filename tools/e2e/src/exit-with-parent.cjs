// Preloaded (`node --require`) into every agent and manager a stack starts: when the process
// that started them dies, even by SIGKILL (a jest timeout, a killed demo), their IPC channel
// closes and they die too, instead of holding ports and running commands for a cluster that
// is gone. The channel is unref'd so it never keeps a program alive that wants to exit.
'use strict';
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
if (process.channel) process.channel.unref();
