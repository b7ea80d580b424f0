"""The mean return of uniformly random actions on each control env (gymnasium), the low
end of `Normalisation::control` in meowlab-eval's aggregate statistics."""
import gymnasium as gym
import numpy as np

EPISODES = 1000
for env_id in ["CartPole-v1", "Acrobot-v1", "Pendulum-v1", "MountainCarContinuous-v0"]:
    env = gym.make(env_id)
    env.action_space.seed(0)
    returns = []
    for episode in range(EPISODES):
        env.reset(seed=episode)
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    r = np.array(returns)
    print(f"{env_id}: mean {r.mean():.1f} ± {r.std(ddof=1) / np.sqrt(EPISODES):.1f} (se), {EPISODES} episodes")
