import { natsAccountNames } from './keda-scalers';

describe('natsAccountNames', () => {
  it('takes the direct children of accounts {…} only: not blocks inside an account, not what follows', () => {
    const config = `
      jetstream { store_dir: /data, max_file_store: 1GB }
      accounts {
        TANDEM {
          jetstream: enabled   # a { in a comment
          users: [
            { user: admin, password: $P }
          ]
          mappings { "a.b": "c.b" }
        }
        SYS: { users: [ { user: sys } ] }
      }
      cluster { name: tandem }
    `;
    expect([...natsAccountNames(config)]).toEqual(['TANDEM', 'SYS']);
  });

  it('is empty without an accounts block', () => {
    expect(natsAccountNames('jetstream {}\nport: 4222\n').size).toBe(0);
  });
});
