import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { configPathFromArgv } from '../../src/main/launch-args'
import { tempDirs } from '../support/temp'

const temp = tempDirs()
afterEach(() => temp.cleanup())

async function folder() {
  const dir = await temp.make('launch-')
  await writeFile(join(dir, 'models.json'), '{}')
  await writeFile(join(dir, 'Other.JSON'), '{}')
  await writeFile(join(dir, 'notes.txt'), '')
  await mkdir(join(dir, 'folder.json'))
  return dir
}

describe('configPathFromArgv', () => {
  it('finds a config named on the command line, relative to the cwd of the launch', async () => {
    const dir = await folder()
    expect(configPathFromArgv(['/usr/bin/model-downloader', 'models.json'], dir)).toBe(
      join(dir, 'models.json'),
    )
    expect(configPathFromArgv(['/opt/app/model-downloader', join(dir, 'Other.JSON')], '/')).toBe(
      join(dir, 'Other.JSON'),
    )
  })

  it('skips the executable, the app folder in development and every flag', async () => {
    const dir = await folder()
    const jsonExe = join(dir, 'models.json') // even an argv[0] that looks like a config is the executable
    expect(configPathFromArgv([jsonExe], dir)).toBeNull()
    expect(
      configPathFromArgv(
        ['/usr/bin/electron', '.', '--inspect=0', '--config=models.json', '-x', 'models.json'],
        dir,
      ),
    ).toBe(join(dir, 'models.json'))
    expect(configPathFromArgv(['electron', '.', '--no-sandbox'], dir)).toBeNull()
  })

  it('takes the first existing .json file; folders, missing files and other types are not configs', async () => {
    const dir = await folder()
    expect(
      configPathFromArgv(
        ['app', 'missing.json', 'folder.json', 'notes.txt', 'Other.JSON', 'models.json'],
        dir,
      ),
    ).toBe(join(dir, 'Other.JSON'))
    expect(configPathFromArgv(['app', 'missing.json', 'folder.json'], dir)).toBeNull()
  })

  it('follows a link to a config, and ignores a dangling one', async () => {
    const dir = await folder()
    await symlink(join(dir, 'models.json'), join(dir, 'link.json'))
    await symlink(join(dir, 'gone.json'), join(dir, 'dangling.json'))
    expect(configPathFromArgv(['app', 'dangling.json', 'link.json'], dir)).toBe(join(dir, 'link.json'))
  })
})
