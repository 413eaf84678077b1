console.log('modeldl')
