// React (under ink) chooses its build by NODE_ENV when it is first loaded: the production build
// unless the user chose otherwise (the development one is slower and checks as it renders).
// The program is imported after this line runs: a static import would load React before it.
if (process.env.NODE_ENV === undefined) process.env.NODE_ENV = 'production';
const { main } = await import('./program.js');
await main();
